/**
 * "Notify me on this device": turns Web Push on or off for this browser. Permission is asked only
 * when the button is pressed (browsers ignore, or penalise, a prompt nobody asked for). On: the
 * permission, then the service worker's `pushManager.subscribe()` with the server's VAPID key,
 * then the subscription is stored for this device (`POST /inbox/api/push/subscription`, with the
 * CSRF token). Off: unsubscribed in the browser and deleted on the server. Every outcome is said
 * in words: blocked, unsupported (iOS outside an installed app), or the browser's error.
 * @module
 */
import { useSignal } from "@preact/signals";
import type { JSX } from "preact";
import { useEffect } from "preact/hooks";
import { format } from "../../lib/i18n.ts";
import type { PUSH_TOGGLE_MESSAGES } from "./inbox_app_messages.ts";

/** The strings of {@link PUSH_TOGGLE_MESSAGES}. */
export type PushToggleMessages = Record<(typeof PUSH_TOGGLE_MESSAGES)[number], string>;

/** The island's props. */
export interface PushToggleProps {
  /** The server's VAPID public key (base64url): the `applicationServerKey`. */
  publicKey: string;
  /** The endpoint the server holds for this device, or null when it holds none. */
  endpoint: string | null;
  csrfToken: string;
  messages: PushToggleMessages;
}

/**
 * How long the browser's push service may take to register. Chromium waits on FCM without end
 * when it cannot reach it; the button must not say "One moment…" for ever.
 */
const SUBSCRIBE_TIMEOUT_MS = 20_000;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error("the browser's push service did not answer")),
      ms,
    );
    promise.then(resolve, reject).finally(() => clearTimeout(timer));
  });
}

type State = "unknown" | "on" | "off" | "working" | "denied" | "unsupported" | "failed";

function keyBytes(base64url: string): Uint8Array<ArrayBuffer> {
  const plain = base64url.replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(plain + "=".repeat((4 - plain.length % 4) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

function sameKey(a: ArrayBuffer | null | undefined, b: Uint8Array): boolean {
  if (!a || a.byteLength !== b.byteLength) return false;
  const bytes = new Uint8Array(a);
  return bytes.every((byte, i) => byte === b[i]);
}

function supported(): boolean {
  return typeof navigator !== "undefined" && "serviceWorker" in navigator &&
    "PushManager" in globalThis && "Notification" in globalThis;
}

/** The worker's registration (the inbox entry registers it too; registering again is a no-op). */
async function registration(): Promise<ServiceWorkerRegistration> {
  await navigator.serviceWorker.register("/inbox/sw.js", { scope: "/inbox" });
  return await navigator.serviceWorker.ready;
}

async function send(method: "POST" | "DELETE", csrfToken: string, body?: unknown): Promise<void> {
  const response = await fetch("/inbox/api/push/subscription", {
    method,
    credentials: "same-origin",
    headers: { "content-type": "application/json", "x-csrf-token": csrfToken },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.ok) return;
  const message = await response.json().then((j) => j?.error?.message).catch(() => null);
  throw new Error(message ?? `HTTP ${response.status}`);
}

/** The push switch of this device. */
export default function PushToggle(props: PushToggleProps): JSX.Element {
  const t = props.messages;
  const state = useSignal<State>("unknown");
  const error = useSignal("");

  useEffect(() => {
    if (!supported()) state.value = "unsupported";
    else if (Notification.permission === "denied") state.value = "denied";
    else if (props.endpoint === null || Notification.permission !== "granted") state.value = "off";
    else {
      state.value = "on";
      // The browser may have renewed the subscription since (`pushsubscriptionchange`, which the
      // worker cannot report: it has no CSRF token): store the current one.
      registration().then((r) => r.pushManager.getSubscription()).then(async (current) => {
        if (!current) state.value = "off";
        else if (current.endpoint !== props.endpoint) {
          await send("POST", props.csrfToken, current.toJSON());
        }
      }).catch(() => {});
    }
  }, []);

  const enable = async () => {
    state.value = "working";
    try {
      const permission = await Notification.requestPermission();
      if (permission !== "granted") {
        state.value = permission === "denied" ? "denied" : "off";
        return;
      }
      const key = keyBytes(props.publicKey);
      const { pushManager } = await registration();
      let subscription = await pushManager.getSubscription();
      if (subscription && !sameKey(subscription.options.applicationServerKey, key)) {
        // Subscribed under an earlier server key: that subscription cannot be used any more.
        await subscription.unsubscribe();
        subscription = null;
      }
      subscription ??= await withTimeout(
        pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key }),
        SUBSCRIBE_TIMEOUT_MS,
      );
      await send("POST", props.csrfToken, subscription.toJSON());
      state.value = "on";
    } catch (e) {
      error.value = e instanceof Error ? (e.message || e.name) : String(e);
      state.value = "failed";
    }
  };

  const disable = async () => {
    state.value = "working";
    try {
      const subscription = await (await registration()).pushManager.getSubscription();
      await subscription?.unsubscribe();
      await send("DELETE", props.csrfToken);
      state.value = "off";
    } catch (e) {
      error.value = e instanceof Error ? (e.message || e.name) : String(e);
      state.value = "failed";
    }
  };

  const s = state.value;
  const note = s === "on"
    ? t.pushOn
    : s === "denied"
    ? t.pushDenied
    : s === "unsupported"
    ? t.pushUnsupported
    : s === "failed"
    ? format(t.pushFailed, { error: error.value })
    : t.pushOff;
  return (
    <div class="inbox-push" data-push-state={s}>
      <p class="inbox-hint" role={s === "failed" ? "alert" : "status"}>{note}</p>
      {s !== "unsupported" && s !== "denied" && (
        <button
          type="button"
          class="inbox-button"
          disabled={s === "working" || s === "unknown"}
          onClick={s === "on" ? disable : enable}
        >
          {s === "working" ? t.pushWorking : s === "on" ? t.pushDisable : t.pushEnable}
        </button>
      )}
    </div>
  );
}
