/**
 * `/inbox`: the owner's inbox, its password-less sign-in, and what makes it an installable app
 * (docs/inbox.md).
 *
 * - `GET /inbox?token=JWT` exchanges a bearer token for an inbox session (cookie) and answers
 *   303 to `/inbox`, so the token leaves the address bar and the history; a bad or expired token
 *   (or too many attempts) answers 303 to `/inbox?signin=<reason>`, which shows the reason.
 * - `POST /inbox/sign-in` does the same with a pasted token (form field `token`).
 * - `GET /inbox[?view=history]`: the inbox, or the sign-in page without a session.
 * - `GET /inbox/settings`, `POST /inbox/sessions/{id}/revoke`, `POST /inbox/sign-out`.
 * - `GET /inbox/api/items`, `GET /inbox/api/items/{id}`, `POST /inbox/api/items/{id}/viewed`:
 *   the island's JSON, by cookie (`X-CSRF-Token` on the POST).
 * - `POST|DELETE /inbox/api/push/subscription` (this device's Web Push subscription, `_push.ts`)
 *   and `POST /inbox/push/{id}/remove` (the settings' remove button).
 * - `GET /inbox/offline` (the service worker's offline shell), `/inbox/sw.js`,
 *   `/inbox/manifest.webmanifest`, `/inbox/icons/{name}.png`.
 * Another owner's question is a 404 everywhere, exactly like a missing one.
 * @module
 */
import { type Context, Hono } from "hono";
import { clearedInboxCookie } from "../../lib/auth/inbox_cookie.ts";
import { SessionNotFoundError, UnauthorizedError } from "../../lib/errors.ts";
import { parseSessionId } from "../../lib/feedback/model.ts";
import { readBodyText } from "../../lib/http/body.ts";
import { errorBody, okBody } from "../../lib/http/envelope.ts";
import { type Lang, LANGS, messagesFor, pickMessages } from "../../lib/i18n.ts";
import {
  type AuthenticatedInboxSession,
  deviceLabel,
  type InboxSessions,
} from "../../lib/inbox/sessions.ts";
import { createMarkdownCache, type MarkdownCache } from "../../lib/markdown.ts";
import { INBOX_ICONS, inboxIcon, type InboxIconName } from "../../lib/pages/inbox_icons.ts";
import { inboxPageResponse } from "../../lib/pages/inbox_headers.ts";
import { type PagePrefs, resolvePrefs } from "../../lib/pages/prefs.ts";
import { RateLimitedError } from "../../lib/rate_limit.ts";
import type { Services } from "../../lib/services.ts";
import { AppError } from "../../lib/errors.ts";
import { FEEDBACK_APP_MESSAGES } from "../../islands/feedback_app_messages.ts";
import type { InboxAppProps } from "../../islands/inbox/InboxApp.tsx";
import {
  INBOX_APP_MESSAGES,
  PUSH_TOGGLE_MESSAGES,
} from "../../islands/inbox/inbox_app_messages.ts";
import { PushDevices } from "../../lib/notify/push_devices.ts";
import { pushDeviceRows, subscribeRoute, unsubscribeRoute } from "./_push.ts";
import { notFoundPage } from "../_404.tsx";
import {
  type CurrentInboxSession,
  currentInboxSession,
  inboxSessionsOf,
  isCrossSite,
  limitSignIn,
  passesCsrf,
  sessionCookie,
} from "./_auth.ts";
import { inboxItem, inboxItems } from "./_items.ts";
import {
  inboxPage,
  type PushSwitch,
  refusedPage,
  settingsPage,
  type SignInNotice,
  signInPage,
} from "./_pages.tsx";
import {
  INBOX_ENTRY_URL,
  INBOX_MANIFEST_URL,
  INBOX_STYLES_URL,
} from "../../components/InboxLayout.tsx";

/** The longest token a sign-in form may carry (far above any this service signs). */
const MAX_TOKEN_FORM_BYTES = 16 * 1024;

/** What the inbox routes of one app share. */
interface InboxDeps {
  services: Services;
  sessions: InboxSessions;
  markdown: MarkdownCache;
  publicBaseUrl: string;
}

const ISLAND_MESSAGES = Object.fromEntries(
  LANGS.map((lang) => [lang, {
    messages: pickMessages(lang, INBOX_APP_MESSAGES),
    feedbackMessages: pickMessages(lang, FEEDBACK_APP_MESSAGES),
  }]),
) as Record<Lang, Pick<InboxAppProps, "messages" | "feedbackMessages">>;

const SIGN_IN_NOTICES: readonly SignInNotice[] = [
  "invalid",
  "expired",
  "rate_limited",
  "refused",
  "signed_out",
];
const NOTICE_STATUS: Record<SignInNotice, number> = {
  invalid: 401,
  expired: 401,
  rate_limited: 429,
  refused: 403,
  signed_out: 200,
};

/** Builds the inbox routes; mount the returned app at `/`. */
export function createInboxApp(services: Services): Hono {
  const deps: InboxDeps = {
    services,
    sessions: inboxSessionsOf(services),
    markdown: createMarkdownCache(),
    publicBaseUrl: services.config.publicBaseUrl,
  };
  const app = new Hono();
  app.get("/inbox", (c) => inboxRoute(c, deps));
  app.post("/inbox/sign-in", (c) => signInPostRoute(c, deps));
  app.post("/inbox/sign-out", (c) => signOutRoute(c, deps));
  app.get("/inbox/settings", (c) => settingsRoute(c, deps));
  app.post("/inbox/sessions/:id/revoke", (c) => revokeRoute(c, deps));
  app.post("/inbox/api/push/subscription", (c) => subscribeRoute(c, services));
  app.delete("/inbox/api/push/subscription", (c) => unsubscribeRoute(c, services));
  app.post("/inbox/push/:id/remove", (c) => pushRemoveRoute(c, deps));
  app.get("/inbox/api/items", (c) => itemsRoute(c, deps));
  app.get("/inbox/api/items/:id", (c) => itemRoute(c, deps));
  app.post("/inbox/api/items/:id/viewed", (c) => viewedRoute(c, deps));
  app.get("/inbox/offline", (c) => offlineRoute(c, deps));
  app.get("/inbox/sw.js", () => serviceWorkerRoute(deps));
  app.get("/inbox/manifest.webmanifest", (c) => manifestRoute(c, deps));
  app.get("/inbox/icons/:name", (c) => iconRoute(c));
  return app;
}

/** The push switch of a page for `session`'s device (null: no VAPID keys on this server). */
function pushSwitchOf(
  deps: InboxDeps,
  session: { csrfToken: string },
  options: { lang: Lang; endpoint: string | null },
): PushSwitch {
  const vapid = deps.services.config.notify.vapid;
  return vapid
    ? {
      publicKey: vapid.publicKey,
      endpoint: options.endpoint,
      csrfToken: session.csrfToken,
      messages: pickMessages(options.lang, PUSH_TOGGLE_MESSAGES),
    }
    : null;
}

function prefsOf(c: Context, deps: InboxDeps): PagePrefs {
  return resolvePrefs(c, deps.publicBaseUrl);
}

function page(
  deps: InboxDeps,
  html: string,
  options: { prefs: PagePrefs; status?: number; cookies?: string[] },
): Response {
  const headers = new Headers();
  for (const cookie of options.cookies ?? []) headers.append("set-cookie", cookie);
  return inboxPageResponse(html, {
    status: options.status,
    prefs: options.prefs,
    publicBaseUrl: deps.publicBaseUrl,
    headers,
  });
}

/** A 303 that carries no referrer and is never stored. */
function seeOther(location: string, cookies: string[] = []): Response {
  const headers = new Headers({
    location,
    "cache-control": "no-store",
    "referrer-policy": "no-referrer",
  });
  for (const cookie of cookies) headers.append("set-cookie", cookie);
  return new Response(null, { status: 303, headers });
}

function json(data: unknown, options: { status?: number; cookies?: string[] } = {}): Response {
  const headers = new Headers({
    "content-type": "application/json; charset=utf-8",
    "cache-control": "no-store",
  });
  for (const cookie of options.cookies ?? []) headers.append("set-cookie", cookie);
  return new Response(JSON.stringify(data), { status: options.status ?? 200, headers });
}

function jsonError(error: AppError, status: number): Response {
  return json(errorBody(error), { status });
}

const REFUSED = () =>
  new AppError("INVALID_REQUEST", "Refused: not from the inbox page, or no CSRF token.", {
    field: "csrf",
  });

/**
 * Exchanges a bearer token for a session. Resolves to the reason of a refusal, or the
 * `Set-Cookie` of the new session.
 */
async function exchange(
  c: Context,
  deps: InboxDeps,
  token: string,
): Promise<{ refused: SignInNotice } | { cookie: string }> {
  try {
    await limitSignIn(c, deps.services);
    const { owner } = await deps.services.verifyToken(token.trim());
    const { secret } = await deps.sessions.create(owner, {
      device: deviceLabel(c.req.header("user-agent")),
    });
    return { cookie: sessionCookie(secret, deps.publicBaseUrl) };
  } catch (error) {
    if (error instanceof RateLimitedError) return { refused: "rate_limited" };
    if (error instanceof UnauthorizedError) {
      return { refused: /expired/i.test(error.message) ? "expired" : "invalid" };
    }
    throw error;
  }
}

/** `GET /inbox`. */
async function inboxRoute(c: Context, deps: InboxDeps): Promise<Response> {
  const token = c.req.query("token");
  if (token !== undefined) {
    // Whatever happens, the token leaves the address bar: the answer is always a redirect.
    const outcome = await exchange(c, deps, token);
    return "cookie" in outcome
      ? seeOther("/inbox", [outcome.cookie])
      : seeOther(`/inbox?signin=${outcome.refused}`);
  }
  const prefs = prefsOf(c, deps);
  const base = { prefs, t: messagesFor(prefs.lang) };
  const current = await currentInboxSession(c, deps);
  if (!current.auth) {
    const asked = c.req.query("signin") as SignInNotice | undefined;
    const notice = asked && SIGN_IN_NOTICES.includes(asked) ? asked : null;
    // A cookie that no longer names a session is dropped.
    const cookies = current.secret ? [clearedInboxCookie(deps.publicBaseUrl)] : [];
    return page(deps, signInPage(base, notice), {
      prefs,
      status: notice ? NOTICE_STATUS[notice] : 200,
      cookies,
    });
  }
  const { session } = current.auth;
  const items = await inboxItems(deps.services, { owner: session.owner, markdown: deps.markdown });
  const island: InboxAppProps = {
    owner: session.owner,
    items,
    view: c.req.query("view") === "history" ? "history" : "pending",
    offline: false,
    csrfToken: session.csrfToken,
    maxFreeTextLength: deps.services.config.feedback.maxFreeTextLength,
    maxImages: deps.services.config.feedback.maxImages,
    maxImageBytes: deps.services.config.feedback.maxImageBytes,
    renderedAt: deps.services.now(),
    ...ISLAND_MESSAGES[prefs.lang],
  };
  const device = await new PushDevices(deps.services.kv).get(session.owner, session.id);
  const push = {
    toggle: pushSwitchOf(deps, session, { lang: prefs.lang, endpoint: device?.endpoint ?? null }),
    subscribed: device !== null,
  };
  return page(deps, inboxPage(base, { island, settingsLink: true, push }), {
    prefs,
    cookies: current.cookies,
  });
}

/** `POST /inbox/sign-in` (form field `token`). */
async function signInPostRoute(c: Context, deps: InboxDeps): Promise<Response> {
  const prefs = prefsOf(c, deps);
  const base = { prefs, t: messagesFor(prefs.lang) };
  // No session yet, so no CSRF token: only the origin tells a forged sign-in (login CSRF).
  if (isCrossSite(c, deps.publicBaseUrl)) {
    return page(deps, signInPage(base, "refused"), { prefs, status: 403 });
  }
  const type = (c.req.header("content-type") ?? "").split(";")[0].trim().toLowerCase();
  const body = type === "application/x-www-form-urlencoded"
    ? await readBodyText(c.req.raw, MAX_TOKEN_FORM_BYTES)
    : "";
  const token = new URLSearchParams(body).get("token") ?? "";
  const outcome = await exchange(c, deps, token);
  if ("cookie" in outcome) return seeOther("/inbox", [outcome.cookie]);
  return page(deps, signInPage(base, outcome.refused), {
    prefs,
    status: NOTICE_STATUS[outcome.refused],
  });
}

/** The `csrf` field of a form post (bounded), or null. */
async function formCsrf(c: Context): Promise<string | null> {
  const type = (c.req.header("content-type") ?? "").split(";")[0].trim().toLowerCase();
  if (type !== "application/x-www-form-urlencoded") return null;
  const body = await readBodyText(c.req.raw, 4096).catch(() => "");
  return new URLSearchParams(body).get("csrf");
}

/** A settings form post that may go ahead: the owner's session, and the page's preferences. */
interface CheckedFormPost {
  refusal?: undefined;
  auth: AuthenticatedInboxSession;
  /** The cookie's secret. */
  secret: string | undefined;
  prefs: PagePrefs;
}

/**
 * The checks of a form post from the inbox's pages (sign-out, revoke, remove a device): without a
 * session, `signedOut` (303 to `/inbox` by default); from another site or without the session's
 * CSRF token, the refused page (403).
 */
async function checkFormPost(
  c: Context,
  deps: InboxDeps,
  signedOut: () => Response = () => seeOther("/inbox"),
): Promise<{ refusal: Response } | CheckedFormPost> {
  const current = await currentInboxSession(c, deps);
  if (!current.auth) return { refusal: signedOut() };
  const prefs = prefsOf(c, deps);
  const formToken = await formCsrf(c);
  if (!passesCsrf(c, { session: current.auth, publicBaseUrl: deps.publicBaseUrl, formToken })) {
    const html = refusedPage({ prefs, t: messagesFor(prefs.lang) });
    return { refusal: page(deps, html, { prefs, status: 403 }) };
  }
  return { auth: current.auth, secret: current.secret, prefs };
}

/** `POST /inbox/sign-out`: deletes the session on the server; the cookie goes too. */
async function signOutRoute(c: Context, deps: InboxDeps): Promise<Response> {
  const signedOut = () => seeOther("/inbox", [clearedInboxCookie(deps.publicBaseUrl)]);
  const post = await checkFormPost(c, deps, signedOut);
  if (post.refusal) return post.refusal;
  await deps.sessions.end(post.secret);
  return seeOther("/inbox?signin=signed_out", [clearedInboxCookie(deps.publicBaseUrl)]);
}

/** `GET /inbox/settings`. */
async function settingsRoute(c: Context, deps: InboxDeps): Promise<Response> {
  const current = await currentInboxSession(c, deps);
  if (!current.auth) return seeOther("/inbox");
  const prefs = prefsOf(c, deps);
  const { session } = current.auth;
  const sessions = await deps.sessions.list(session.owner);
  const pushDevices = await pushDeviceRows(deps.services, session.owner);
  const endpoint = pushDevices.find((row) => row.device.id === session.id)?.device.endpoint ??
    null;
  return page(
    deps,
    settingsPage({ prefs, t: messagesFor(prefs.lang) }, {
      owner: session.owner,
      current: session,
      sessions,
      now: deps.services.now(),
      push: pushSwitchOf(deps, session, { lang: prefs.lang, endpoint }),
      pushDevices,
    }),
    { prefs, cookies: current.cookies },
  );
}

/** `POST /inbox/sessions/{id}/revoke`: ends one of the owner's sessions, at once. */
async function revokeRoute(c: Context, deps: InboxDeps): Promise<Response> {
  const post = await checkFormPost(c, deps);
  if (post.refusal) return post.refusal;
  const id = c.req.param("id") ?? "";
  const { session } = post.auth;
  // Another owner's session id is missing, as far as this owner can tell.
  if (!/^[0-9a-f-]{36}$/i.test(id) || !await deps.sessions.revoke(session.owner, id)) {
    return notFoundPage(c, deps.services, post.prefs);
  }
  if (id === session.id) {
    return seeOther("/inbox?signin=signed_out", [clearedInboxCookie(deps.publicBaseUrl)]);
  }
  return seeOther("/inbox/settings");
}

/** `POST /inbox/push/{id}/remove`: one of the owner's devices gets no more push notifications. */
async function pushRemoveRoute(c: Context, deps: InboxDeps): Promise<Response> {
  const post = await checkFormPost(c, deps);
  if (post.refusal) return post.refusal;
  const id = c.req.param("id") ?? "";
  // Another owner's device is missing, as far as this owner can tell (the key is per owner).
  if (
    !/^[0-9a-f-]{36}$/i.test(id) ||
    !await new PushDevices(deps.services.kv).remove(post.auth.session.owner, id)
  ) {
    return notFoundPage(c, deps.services, post.prefs);
  }
  return seeOther("/inbox/settings");
}

/** The session of a JSON route, or its 401. */
async function jsonSession(
  c: Context,
  deps: InboxDeps,
): Promise<CurrentInboxSession & { refusal?: Response }> {
  const current = await currentInboxSession(c, deps);
  if (!current.auth) {
    return {
      ...current,
      refusal: jsonError(new UnauthorizedError("Sign in to the inbox first.", false), 401),
    };
  }
  return current;
}

/** `GET /inbox/api/items`. */
async function itemsRoute(c: Context, deps: InboxDeps): Promise<Response> {
  const current = await jsonSession(c, deps);
  if (current.refusal) return current.refusal;
  const items = await inboxItems(deps.services, {
    owner: current.auth!.session.owner,
    markdown: deps.markdown,
  });
  return json(okBody({ items }), { cookies: current.cookies });
}

function sessionIdOf(c: Context): string | null {
  try {
    return parseSessionId(c.req.param("id"));
  } catch {
    return null;
  }
}

const NOT_FOUND = () => new SessionNotFoundError();

/** `GET /inbox/api/items/{id}`: one of the owner's questions; anyone else's is a 404. */
async function itemRoute(c: Context, deps: InboxDeps): Promise<Response> {
  const current = await jsonSession(c, deps);
  if (current.refusal) return current.refusal;
  const id = sessionIdOf(c);
  if (!id) return jsonError(NOT_FOUND(), 404);
  try {
    const session = await deps.services.feedback.getOwned(current.auth!.session.owner, id);
    return json(okBody(inboxItem(session, deps.markdown)), { cookies: current.cookies });
  } catch (error) {
    if (error instanceof SessionNotFoundError) return jsonError(NOT_FOUND(), 404);
    throw error;
  }
}

/** `POST /inbox/api/items/{id}/viewed`: opening a question inline counts as viewing its page. */
async function viewedRoute(c: Context, deps: InboxDeps): Promise<Response> {
  const current = await jsonSession(c, deps);
  if (current.refusal) return current.refusal;
  if (!passesCsrf(c, { session: current.auth!, publicBaseUrl: deps.publicBaseUrl })) {
    return jsonError(REFUSED(), 403);
  }
  const id = sessionIdOf(c);
  if (!id) return jsonError(NOT_FOUND(), 404);
  try {
    await deps.services.feedback.getOwned(current.auth!.session.owner, id);
    const session = await deps.services.feedback.markViewed(id);
    return json(okBody({ sessionId: id, viewedAt: new Date(session.viewedAt!).toISOString() }));
  } catch (error) {
    if (error instanceof SessionNotFoundError) return jsonError(NOT_FOUND(), 404);
    throw error;
  }
}

/** `GET /inbox/offline`: the shell the service worker shows without a network; nothing personal. */
function offlineRoute(c: Context, deps: InboxDeps): Response {
  const prefs = prefsOf(c, deps);
  const island: InboxAppProps = {
    owner: "",
    items: [],
    view: "pending",
    offline: true,
    csrfToken: "",
    maxFreeTextLength: deps.services.config.feedback.maxFreeTextLength,
    maxImages: deps.services.config.feedback.maxImages,
    maxImageBytes: deps.services.config.feedback.maxImageBytes,
    renderedAt: deps.services.now(),
    ...ISLAND_MESSAGES[prefs.lang],
  };
  return page(
    deps,
    inboxPage({ prefs, t: messagesFor(prefs.lang) }, { island, settingsLink: false }),
    { prefs },
  );
}

/** Paths the service worker precaches; the offline shell first. */
export const INBOX_SHELL_ASSETS = [
  "/inbox/offline",
  "/static/styles.css",
  INBOX_STYLES_URL,
  INBOX_ENTRY_URL,
  "/static/icon.svg",
  INBOX_MANIFEST_URL,
  "/inbox/icons/icon-192.png",
];

let workerSource: Promise<string> | undefined;

/** The built worker, prefixed with its asset list and a version that changes with the assets. */
async function buildWorkerSource(): Promise<string> {
  const root = new URL("../../", import.meta.url);
  const code = await Deno.readTextFile(new URL("static/build/inbox/sw.js", root));
  const parts = [code];
  for (const path of [INBOX_ENTRY_URL, INBOX_STYLES_URL, "/static/styles.css"]) {
    parts.push(await Deno.readTextFile(new URL(path.slice(1), root)).catch(() => ""));
  }
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(parts.join("\u0000") + INBOX_SHELL_ASSETS.join()),
  );
  const version = [...new Uint8Array(digest).slice(0, 8)]
    .map((b) => b.toString(16).padStart(2, "0")).join("");
  return `self.INBOX_SW=${JSON.stringify({ version, assets: INBOX_SHELL_ASSETS })};\n${code}`;
}

/** `GET /inbox/sw.js`, allowed to control `/inbox` (not only `/inbox/…`). */
async function serviceWorkerRoute(_deps: InboxDeps): Promise<Response> {
  // Read once per process (a new deploy is a new process); a failed read is tried again.
  workerSource ??= buildWorkerSource().catch((error) => {
    workerSource = undefined;
    throw error;
  });
  return new Response(await workerSource, {
    headers: {
      "content-type": "text/javascript; charset=utf-8",
      "service-worker-allowed": "/inbox",
      // Browsers check for a new worker on navigation; never serve them a stale one.
      "cache-control": "no-cache",
    },
  });
}

/** `GET /inbox/manifest.webmanifest`, in the reader's language. */
function manifestRoute(c: Context, deps: InboxDeps): Response {
  const prefs = prefsOf(c, deps);
  const t = messagesFor(prefs.lang);
  const manifest = {
    id: "/inbox",
    name: `${t.siteName} · ${t.inboxTitle}`,
    short_name: t.inboxTitle,
    description: t.homeIntro,
    lang: prefs.lang === "zh" ? "zh-CN" : "en",
    start_url: "/inbox",
    scope: "/inbox",
    display: "standalone",
    orientation: "any",
    background_color: "#0e1217",
    theme_color: "#0a58b0",
    icons: Object.entries(INBOX_ICONS)
      .filter(([name]) => name !== "apple-touch-icon.png")
      .map(([name, icon]) => ({
        src: `/inbox/icons/${name}`,
        sizes: `${icon.size}x${icon.size}`,
        type: "image/png",
        purpose: icon.maskable ? "maskable" : "any",
      })),
  };
  return new Response(JSON.stringify(manifest), {
    headers: {
      "content-type": "application/manifest+json",
      "cache-control": "no-cache",
      vary: "Accept-Language, Cookie",
    },
  });
}

/** `GET /inbox/icons/{name}`. */
async function iconRoute(c: Context): Promise<Response> {
  const name = c.req.param("name") ?? "";
  if (!Object.hasOwn(INBOX_ICONS, name)) return new Response("Not Found", { status: 404 });
  return new Response(await inboxIcon(name as InboxIconName) as Uint8Array<ArrayBuffer>, {
    headers: { "content-type": "image/png", "cache-control": "public, max-age=86400" },
  });
}
