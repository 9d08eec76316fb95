/**
 * One upgraded socket, from `open` to `close`: its callbacks only parse (with the pure protocol
 * module), dispatch and send. Shared by session sockets and owner streams, which add what they
 * do on open and on close.
 * @module
 */
import type { Logger } from "../log.ts";
import { isUnavailable, logFailure } from "../storage_guard.ts";
import {
  type AppRegistration,
  appRegistrationConfirmed,
  errorMessage,
  type OutboundMessage,
  parseInbound,
  pong,
} from "./protocol.ts";
import { CLOSE, closeSocket, type SocketSlot } from "./registry.ts";

/** Inbound messages allowed per second, on average. */
export const RATE_PER_SECOND = 10;
/** Inbound messages allowed in one burst. */
export const RATE_BURST = 20;
/** Messages dropped for rate before the socket is closed with 1008. */
export const MAX_DROPPED = 50;
/** Unsent bytes above which a reader is too slow to keep. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
/**
 * How long an upgraded socket may stay `CONNECTING` before its slot is freed. Deno (2.9) fires
 * neither `open`, `error` nor `close` on a socket whose client hung up while the handler was
 * still awaiting (checking the token, reading the session) before the upgrade: without a bound,
 * such a socket would hold its place, and count against the session's limit, forever.
 */
export const OPEN_TIMEOUT_MS = 5000;

/** What a connection does besides the protocol basics. */
export interface ConnectionOptions {
  slot: SocketSlot;
  log: Logger;
  /** Wall clock for message timestamps. */
  now: () => number;
  /** The watched session, or null on an owner stream. */
  sessionId: string | null;
  /** Runs once the socket is open: send `connection_established`, join the channel. */
  onOpen(connection: Connection): void | Promise<void>;
  /** Runs once when the socket has closed (after any `onOpen`). */
  onClose(connection: Connection): void;
  /** Milliseconds to wait for `open` before giving the slot up ({@link OPEN_TIMEOUT_MS}). */
  openTimeoutMs?: number;
}

/** One live socket and its per-socket state. */
export class Connection {
  /** Random id handed to the client in `connection_established`. */
  readonly clientId: string = crypto.randomUUID();
  /** Set by `app_register`. Held in memory only, never logged (it may carry a push token). */
  registration?: AppRegistration;
  /** True once the socket has closed: async open work checks it before joining anything. */
  closed = false;
  #tokens = RATE_BURST;
  #refilledAt = performance.now();
  #dropped = 0;
  #limitNoticeAt = -Infinity;
  readonly #options: ConnectionOptions;

  constructor(readonly socket: WebSocket, options: ConnectionOptions) {
    this.#options = options;
  }

  /** Sends a message if the socket is still open. */
  send(message: OutboundMessage): void {
    this.sendText(JSON.stringify(message));
  }

  /** Sends pre-serialized text (one `JSON.stringify` for many sockets). */
  sendText(text: string): void {
    if (this.socket.readyState !== WebSocket.OPEN) return;
    if (this.socket.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.close(CLOSE.policyViolation, "reader too slow");
      return;
    }
    try {
      this.socket.send(text);
    } catch {
      // The peer went away between the state check and the send; `close` follows.
    }
  }

  /** Closes the socket with a code and reason the client can act on. */
  close(code: number, reason: string): void {
    closeSocket(this.socket, code, reason);
  }

  /** Handles one inbound frame. */
  receive(frame: string | ArrayBuffer | Blob): void {
    if (!this.#takeToken()) return;
    const parsed = parseInbound(frame);
    const now = this.#options.now();
    if (!parsed.ok) {
      this.send(errorMessage(parsed.error, now));
      if (parsed.error.code === "PAYLOAD_TOO_LARGE") {
        this.close(CLOSE.messageTooBig, "frame too large (limit 16 KiB)");
      }
      return;
    }
    this.#options.slot.touch();
    const { message } = parsed;
    switch (message.type) {
      case "ping":
        this.send(pong(now));
        return;
      case "app_register":
        this.registration = message.data;
        this.send(appRegistrationConfirmed({
          clientId: this.clientId,
          sessionId: this.#options.sessionId,
          registration: message.data,
        }, now));
        return;
    }
  }

  /** Token bucket: a flood is answered once a second with `RATE_LIMITED`, then closed with 1008. */
  #takeToken(): boolean {
    const t = performance.now();
    this.#tokens = Math.min(
      RATE_BURST,
      this.#tokens + ((t - this.#refilledAt) / 1000) * RATE_PER_SECOND,
    );
    this.#refilledAt = t;
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return true;
    }
    this.#dropped++;
    if (this.#dropped >= MAX_DROPPED) {
      this.close(CLOSE.policyViolation, "rate limit exceeded");
    } else if (t - this.#limitNoticeAt >= 1000) {
      this.#limitNoticeAt = t;
      this.send(errorMessage({
        code: "RATE_LIMITED",
        message: `Too many messages: at most ${RATE_PER_SECOND} per second.`,
      }, this.#options.now()));
    }
    return false;
  }
}

/**
 * Wires a freshly upgraded socket to a {@link Connection}; the slot is released on close, or if
 * the socket does not open in time.
 */
export function serveConnection(socket: WebSocket, options: ConnectionOptions): Connection {
  const connection = new Connection(socket, options);
  let opened = false;
  options.slot.attach(socket);
  const finish = () => {
    clearTimeout(openTimer);
    if (connection.closed) return;
    connection.closed = true;
    options.slot.release();
    if (opened) options.onClose(connection);
  };
  const openTimer = setTimeout(() => {
    if (opened) return;
    options.log.debug("websocket never opened; slot released");
    finish();
  }, options.openTimeoutMs ?? OPEN_TIMEOUT_MS);
  socket.addEventListener("open", async () => {
    clearTimeout(openTimer);
    if (connection.closed) {
      // Opened after its slot was given up: it has no place, so it does not stay.
      closeSocket(socket, CLOSE.tryAgainLater, "connection took too long to open: retry");
      return;
    }
    opened = true;
    try {
      await options.onOpen(connection);
    } catch (error) {
      logFailure(options.log, { message: "websocket open failed", error });
      if (isUnavailable(error)) {
        connection.close(CLOSE.tryAgainLater, "storage briefly unavailable: retry");
      } else {
        connection.close(CLOSE.internalError, "internal error");
      }
    }
  });
  socket.addEventListener("message", (event) => {
    if (!connection.closed) connection.receive(event.data);
  });
  socket.addEventListener("close", finish);
  socket.addEventListener("error", () => {
    // A failed upgrade fires `error` alone, with no `close` after it: release now.
    if (!opened) finish();
  });
  return connection;
}
