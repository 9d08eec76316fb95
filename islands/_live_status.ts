/**
 * Live status of a feedback session over the WebSocket (`/ws/{id}?clientType=web`, contract §5):
 * connects while the session is pending, keeps the connection alive with pings, reconnects with
 * exponential backoff, and reports the server's clock and every status the server announces.
 * @module
 */
import { type ReadonlySignal, useSignal, useSignalEffect } from "@preact/signals";

/** The indicator's state; `idle` when there is nothing to watch (the session is final). */
export type Connection = "idle" | "connecting" | "live" | "offline";

// Under the server's idle timeout, so a quiet tab is not dropped.
const PING_INTERVAL_MS = 60_000;
const FIRST_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 30_000;

/** What {@link watchLiveStatus} reports. */
export interface LiveStatusHandlers {
  /** The indicator changed. */
  onConnection: (connection: Connection) => void;
  /** The server's clock (epoch ms), sent when a connection opens. */
  onServerTime: (serverTime: number) => void;
  /**
   * A status the server announced: on connecting (for a tab that was asleep) and on every change.
   * Not validated: anything but `completed`, `expired` or `cancelled` should be ignored.
   */
  onStatus: (status: string) => void;
}

/** Waits before the next reconnect: doubling from 1 s to 30 s, with jitter so tabs spread out. */
function backoff(attempt: number): number {
  return Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** attempt) * (0.5 + Math.random() / 2);
}

/** Watches the live status of `sessionId` until the returned function is called. */
export function watchLiveStatus(sessionId: string, handlers: LiveStatusHandlers): () => void {
  let socket: WebSocket | undefined;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let ping: ReturnType<typeof setInterval> | undefined;
  let attempt = 0;
  let stopped = false;
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const url = `${scheme}//${location.host}/ws/${sessionId}?clientType=web`;

  const report = (status: unknown) => {
    if (typeof status === "string") handlers.onStatus(status);
  };

  const onMessage = (event: MessageEvent) => {
    let message: { type?: string; data?: Record<string, unknown> };
    try {
      message = JSON.parse(String(event.data));
    } catch {
      return;
    }
    const data = message.data ?? {};
    switch (message.type) {
      case "connection_established": {
        const serverTime = Date.parse(String(data.serverTime));
        if (!Number.isNaN(serverTime)) handlers.onServerTime(serverTime);
        report(data.status);
        break;
      }
      case "session_status_changed":
        report(data.newStatus);
        break;
      case "feedback_submitted":
        report("completed");
        break;
      case "session_expired":
        report("expired");
        break;
    }
  };

  const connect = () => {
    if (stopped) return;
    handlers.onConnection("connecting");
    socket = new WebSocket(url);
    socket.onopen = () => {
      attempt = 0;
      handlers.onConnection("live");
      ping = setInterval(() => {
        socket?.send(
          JSON.stringify({ type: "ping", data: {}, timestamp: new Date().toISOString() }),
        );
      }, PING_INTERVAL_MS);
    };
    socket.onmessage = onMessage;
    socket.onclose = () => {
      clearInterval(ping);
      if (stopped) return;
      handlers.onConnection("offline");
      retry = setTimeout(connect, backoff(attempt++));
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

/** What {@link useLiveStatus} needs. */
export interface LiveStatusOptions extends Omit<LiveStatusHandlers, "onConnection"> {
  /** Connected only while true (while the session is pending). */
  active: ReadonlySignal<boolean>;
}

/** The live status of `sessionId` while `options.active`, as the indicator's signal. */
export function useLiveStatus(
  sessionId: string,
  options: LiveStatusOptions,
): ReadonlySignal<Connection> {
  const connection = useSignal<Connection>("idle");
  useSignalEffect(() => {
    if (!options.active.value) {
      connection.value = "idle";
      return;
    }
    return watchLiveStatus(sessionId, {
      onServerTime: options.onServerTime,
      onStatus: options.onStatus,
      onConnection: (state) => {
        connection.value = state;
      },
    });
  });
  return connection;
}
