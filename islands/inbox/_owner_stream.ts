/**
 * The inbox's owner stream (`GET /ws`, contract §5), signed in by the inbox cookie: the same
 * protocol a native app speaks with a bearer token. Reports every session the server names in an
 * event, and each (re)connection, so the inbox reloads its list then (events from while it was
 * disconnected are not replayed). Reconnects with backoff; stops for good when the server says
 * the inbox session ended (close 4001).
 * @module
 */

const PING_INTERVAL_MS = 60_000;
const MAX_BACKOFF_MS = 30_000;
/** `CLOSE_SIGNED_OUT` of lib/ws/app.ts. */
const CLOSE_SIGNED_OUT = 4001;

/** What {@link watchOwnerStream} reports. */
export interface OwnerStreamHandlers {
  /** Connected (again): reload the list. */
  onConnected: () => void;
  /** Disconnected; retrying. */
  onDisconnected: () => void;
  /** A session was created (`isNew`) or changed status. */
  onSession: (sessionId: string, isNew: boolean) => void;
  /** The inbox session ended (signed out or revoked elsewhere). */
  onSignedOut: () => void;
}

/** Watches the owner stream until the returned function is called. */
export function watchOwnerStream(handlers: OwnerStreamHandlers): () => void {
  let socket: WebSocket | undefined;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let ping: ReturnType<typeof setInterval> | undefined;
  let attempt = 0;
  let stopped = false;
  const url = `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}/ws`;

  const onMessage = (event: MessageEvent) => {
    let message: { type?: string; data?: { sessionId?: unknown } };
    try {
      message = JSON.parse(String(event.data));
    } catch {
      return;
    }
    const id = message.data?.sessionId;
    if (message.type === "connection_established") return handlers.onConnected();
    if (typeof id !== "string") return;
    if (message.type === "session_created") handlers.onSession(id, true);
    else if (
      message.type === "session_status_changed" || message.type === "feedback_submitted" ||
      message.type === "session_expired"
    ) handlers.onSession(id, false);
  };

  const connect = () => {
    if (stopped) return;
    socket = new WebSocket(url);
    socket.onopen = () => {
      attempt = 0;
      ping = setInterval(() => socket?.send(JSON.stringify({ type: "ping" })), PING_INTERVAL_MS);
    };
    socket.onmessage = onMessage;
    socket.onclose = (event) => {
      clearInterval(ping);
      if (stopped) return;
      if (event.code === CLOSE_SIGNED_OUT) return handlers.onSignedOut();
      handlers.onDisconnected();
      const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** attempt++) * (0.5 + Math.random() / 2);
      retry = setTimeout(connect, delay);
    };
  };
  connect();
  return () => {
    stopped = true;
    clearTimeout(retry);
    clearInterval(ping);
    socket?.close(1000);
  };
}
