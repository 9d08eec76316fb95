/**
 * The inbox's service worker (bundled to `static/build/inbox/sw.js`, served at `/inbox/sw.js`
 * with scope `/inbox`). It keeps the inbox's shell (the offline page, the stylesheets, the inbox
 * bundle, the icons and the manifest) in the Cache Storage, so that the installed inbox opens
 * without a network and says it is offline. Nothing personal is cached: pages and the inbox's
 * JSON always come from the network (they are `no-store`); only when the network fails does a
 * navigation get the cached shell, which holds no question and no name.
 *
 * It also shows the inbox's Web Push notifications (lib/notify/push_messages.ts): `show` puts
 * one up, tagged with the question's id (or a summary of several), and tapping it opens the
 * question in the inbox (`/inbox#<id>`), in the inbox window already open if there is one;
 * `close` takes down the notification of a question that was answered, expired or withdrawn, and
 * a summary once all of its questions have.
 *
 * The server prefixes this file with `self.INBOX_SW = {version, assets}`: the version changes
 * whenever an asset does, so the browser installs the new worker and the old cache is dropped.
 * @module
 */

/** What the server puts in front of this file. */
interface InboxSwConfig {
  version: string;
  /** Same-origin paths to precache; the first is the offline shell. */
  assets: string[];
}

/** A window the worker can focus and send elsewhere. */
interface SwWindowClient {
  url: string;
  focus(): Promise<SwWindowClient>;
  navigate(url: string): Promise<SwWindowClient | null>;
}

/** The parts of the service worker's global scope used here (the project's lib is `dom`). */
interface SwScope {
  INBOX_SW: InboxSwConfig;
  location: Location;
  registration: ServiceWorkerRegistration;
  skipWaiting(): Promise<void>;
  clients: {
    claim(): Promise<void>;
    matchAll(options: { type: "window"; includeUncontrolled: boolean }): Promise<SwWindowClient[]>;
    openWindow(url: string): Promise<SwWindowClient | null>;
  };
  addEventListener(type: string, listener: (event: SwEvent) => void): void;
}

interface SwEvent extends Event {
  request: Request;
  /** `push`: the decrypted message. */
  data?: { json(): unknown } | null;
  /** `notificationclick`: the notification tapped. */
  notification?: Notification;
  waitUntil(promise: Promise<unknown>): void;
  respondWith(response: Response | Promise<Response>): void;
}

/** A push message (lib/notify/push_messages.ts). */
interface PushMessage {
  type: "show" | "close";
  tag: string;
  title?: string;
  body?: string;
  url?: string;
  sessionIds: string[];
  timestamp?: number;
}

/** The tag of a summary notification (`SUMMARY_TAG` of lib/notify/push_messages.ts). */
const SUMMARY_TAG = "inbox-summary";
const ICON = "/inbox/icons/icon-192.png";

const sw = self as unknown as SwScope;
const { version, assets } = sw.INBOX_SW;
const CACHE = `inbox-shell-${version}`;
const SHELL = assets[0];

sw.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE)
      // `reload`: never fill the shell from the HTTP cache's older copies.
      .then((cache) => cache.addAll(assets.map((a) => new Request(a, { cache: "reload" }))))
      .then(() => sw.skipWaiting()),
  );
});

sw.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) =>
        Promise.all(
          keys.filter((k) => k.startsWith("inbox-shell-") && k !== CACHE).map((k) =>
            caches.delete(k)
          ),
        )
      )
      .then(() => sw.clients.claim()),
  );
});

sw.addEventListener("fetch", (event) => {
  const { request } = event;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== sw.location.origin) return;
  if (request.mode === "navigate") {
    // Network first, always: the inbox is live data. Offline: the shell, which says so.
    event.respondWith(
      fetch(request).catch(async () =>
        (await caches.match(SHELL, { cacheName: CACHE })) ?? Response.error()
      ),
    );
    return;
  }
  if (assets.includes(url.pathname)) {
    event.respondWith(
      fetch(request).catch(async () =>
        (await caches.match(url.pathname, { cacheName: CACHE })) ?? Response.error()
      ),
    );
  }
});

function readPush(event: SwEvent): PushMessage | null {
  try {
    const message = event.data?.json() as PushMessage | undefined;
    return message && typeof message.tag === "string" && Array.isArray(message.sessionIds)
      ? message
      : null;
  } catch {
    return null; // not ours, or not JSON
  }
}

function show(tag: string, options: {
  title: string;
  body: string;
  url: string;
  sessionIds: string[];
  timestamp?: number;
  silent?: boolean;
}): Promise<void> {
  return sw.registration.showNotification(options.title, {
    body: options.body,
    tag,
    icon: ICON,
    badge: ICON,
    silent: options.silent,
    data: { url: options.url, sessionIds: options.sessionIds },
    ...(options.timestamp ? { timestamp: options.timestamp } : {}),
  } as NotificationOptions);
}

async function closeQuestions(sessionIds: string[]): Promise<void> {
  for (const id of sessionIds) {
    for (const notification of await sw.registration.getNotifications({ tag: id })) {
      notification.close();
    }
  }
  // A summary goes once every question it announced has ended; until then it stays, quietly.
  for (const summary of await sw.registration.getNotifications({ tag: SUMMARY_TAG })) {
    const data = summary.data as { url: string; sessionIds: string[] } | null;
    const left = (data?.sessionIds ?? []).filter((id) => !sessionIds.includes(id));
    if (left.length === 0) summary.close();
    else if (left.length < (data?.sessionIds.length ?? 0)) {
      await show(SUMMARY_TAG, {
        title: summary.title,
        body: summary.body,
        url: data?.url ?? "/inbox",
        sessionIds: left,
        silent: true,
      });
    }
  }
}

sw.addEventListener("push", (event) => {
  const message = readPush(event);
  if (!message) return;
  event.waitUntil(
    message.type === "close" ? closeQuestions(message.sessionIds) : show(message.tag, {
      title: message.title ?? "",
      body: message.body ?? "",
      url: message.url ?? "/inbox",
      sessionIds: message.sessionIds,
      timestamp: message.timestamp,
    }),
  );
});

/** Opens `url` in the inbox window already open (focused), or in a new one. */
async function openInInbox(url: string): Promise<void> {
  const windows = await sw.clients.matchAll({ type: "window", includeUncontrolled: true });
  const inbox = windows.find((w) => new URL(w.url).pathname === "/inbox") ??
    windows.find((w) => new URL(w.url).pathname.startsWith("/inbox"));
  if (inbox) {
    const focused = await inbox.focus().catch(() => inbox);
    // Only a window this worker controls can be navigated; otherwise open a new one.
    if (await focused.navigate(url).catch(() => null)) return;
  }
  await sw.clients.openWindow(url);
}

sw.addEventListener("notificationclick", (event) => {
  const notification = event.notification;
  if (!notification) return;
  notification.close();
  const data = notification.data as { url?: string } | null;
  const target = new URL(data?.url ?? "/inbox", sw.location.origin);
  // Only the inbox's own pages: a message can never send the user elsewhere.
  const url = target.origin === sw.location.origin && target.pathname.startsWith("/inbox")
    ? target.href
    : new URL("/inbox", sw.location.origin).href;
  event.waitUntil(openInInbox(url));
});
