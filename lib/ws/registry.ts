/**
 * Every WebSocket of one instance: how many there are (in total, per session, and per owner),
 * when a silent one is closed, and closing them all with 1012 at shutdown so clients reconnect
 * elsewhere. The registry knows nothing of the protocol; sockets are admitted, attached and
 * released.
 *
 * The per-owner cap (`OWNER_MAX_SOCKETS`) counts every socket on any of one owner's sessions
 * (whoever opened it: the session id is the capability) plus the owner's streams, so one token
 * cannot fill the instance through many sessions' per-session allowances. Like the other socket
 * limits it is per instance, because what it protects is this instance's sockets and memory.
 * @module
 */
import type { Logger } from "../log.ts";

/** Close codes the server uses, with the reason text sent along. */
export const CLOSE = {
  /** The client went away or the session no longer exists. */
  normal: 1000,
  /** The client kept flooding after being told to slow down. */
  policyViolation: 1008,
  /** A frame above the size limit. */
  messageTooBig: 1009,
  /** The server failed unexpectedly (logged); reconnecting may help. */
  internalError: 1011,
  /** The instance is shutting down: reconnect (with backoff) to another one. */
  serviceRestart: 1012,
  /** The instance holds its maximum number of sockets: retry later. */
  tryAgainLater: 1013,
  /** No `ping` within the idle timeout. */
  idle: 4000,
  /** The session already has its maximum number of sockets on this instance. */
  tooManyForSession: 4029,
  /** The owner's sessions and streams already hold the owner's quota of sockets on this instance. */
  ownerQuota: 4029,
} as const;

/** Options of {@link SocketRegistry}. */
export interface SocketRegistryOptions {
  /** Most sockets in total. */
  maxSockets: number;
  /** Most sockets per scope (one session, or one owner's streams). */
  maxPerScope: number;
  /** Most sockets per owner, over all of the owner's scopes; 0 or absent turns the cap off. */
  maxPerOwner?: number;
  /** Milliseconds a socket may stay silent before it is closed. */
  idleTimeoutMs: number;
  log?: Logger;
  /** Monotonic clock override. */
  now?: () => number;
}

/** A place held for one socket: attach the socket once upgraded, release it when it closes. */
export interface SocketSlot {
  /** Starts idle tracking and makes the socket part of shutdown. */
  attach(socket: WebSocket): void;
  /** Records activity: the idle timer restarts from now. */
  touch(): void;
  /** Frees the place; safe to call more than once. */
  release(): void;
}

/** Why a socket was not admitted: the close code and reason to send it. */
export interface Refusal {
  code: number;
  reason: string;
}

/** The outcome of {@link SocketRegistry.admit}. */
export type Admission = { ok: true; slot: SocketSlot } | { ok: false; refusal: Refusal };

/** Counters for tests and benchmarks. */
export interface SocketRegistryStats {
  sockets: number;
  scopes: number;
}

interface Entry {
  scope: string;
  owner?: string;
  socket?: WebSocket;
  lastActivity: number;
  timer?: ReturnType<typeof setTimeout>;
  released: boolean;
}

/** Counts, limits and closes the sockets of one instance. */
export class SocketRegistry {
  readonly options: SocketRegistryOptions;
  #entries = new Set<Entry>();
  #perScope = new Map<string, number>();
  #perOwner = new Map<string, number>();
  #closing = false;
  #drained?: () => void;
  #now: () => number;

  constructor(options: SocketRegistryOptions) {
    this.options = options;
    this.#now = options.now ?? (() => performance.now());
  }

  /** Whether shutdown has begun (new sockets are refused with 1012). */
  get closing(): boolean {
    return this.#closing;
  }

  /**
   * Holds a place for a socket in `scope` (`session:<id>` or `owner:<name>`), counted also against
   * `options.owner`'s quota when given, or says why there is none.
   */
  admit(scope: string, options: { owner?: string } = {}): Admission {
    if (this.#closing) {
      return {
        ok: false,
        refusal: { code: CLOSE.serviceRestart, reason: "server restarting: reconnect" },
      };
    }
    if (this.#entries.size >= this.options.maxSockets) {
      return {
        ok: false,
        refusal: { code: CLOSE.tryAgainLater, reason: "server at socket capacity: retry later" },
      };
    }
    const inScope = this.#perScope.get(scope) ?? 0;
    if (inScope >= this.options.maxPerScope) {
      return {
        ok: false,
        refusal: {
          code: CLOSE.tooManyForSession,
          reason: `too many sockets on this ${
            scope.startsWith("owner:") ? "owner" : "session"
          } (limit ${this.options.maxPerScope})`,
        },
      };
    }
    const { owner } = options;
    const ownerCap = this.options.maxPerOwner ?? 0;
    const ofOwner = owner === undefined ? 0 : this.#perOwner.get(owner) ?? 0;
    if (owner !== undefined && ownerCap > 0 && ofOwner >= ownerCap) {
      return {
        ok: false,
        refusal: {
          code: CLOSE.ownerQuota,
          reason: `quota: too many sockets for this owner (limit ${ownerCap})`,
        },
      };
    }
    const entry: Entry = { scope, owner, lastActivity: this.#now(), released: false };
    this.#entries.add(entry);
    this.#perScope.set(scope, inScope + 1);
    if (owner !== undefined) this.#perOwner.set(owner, ofOwner + 1);
    return {
      ok: true,
      slot: {
        attach: (socket) => {
          entry.socket = socket;
          entry.lastActivity = this.#now();
          this.#arm(entry, this.options.idleTimeoutMs);
        },
        touch: () => {
          entry.lastActivity = this.#now();
        },
        release: () => this.#release(entry),
      },
    };
  }

  /** Current counts. */
  stats(): SocketRegistryStats {
    return { sockets: this.#entries.size, scopes: this.#perScope.size };
  }

  /**
   * Refuses new sockets and closes every open one with `code` (1012 by default), then waits until
   * all have gone or `timeoutMs` passes. Returns how many sockets it asked to close.
   */
  async closeAll(
    options: { code?: number; reason?: string; timeoutMs?: number } = {},
  ): Promise<number> {
    this.#closing = true;
    const code = options.code ?? CLOSE.serviceRestart;
    const reason = options.reason ?? "server restarting: reconnect";
    let asked = 0;
    for (const entry of [...this.#entries]) {
      const socket = entry.socket;
      if (!socket) {
        // Admitted but never upgraded: nothing to close, the place is simply freed.
        this.#release(entry);
        continue;
      }
      asked++;
      closeSocket(socket, code, reason);
    }
    if (this.#entries.size === 0) return asked;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      new Promise<void>((resolve) => this.#drained = resolve),
      new Promise<void>((resolve) => timer = setTimeout(resolve, options.timeoutMs ?? 3000)),
    ]);
    clearTimeout(timer);
    // Whatever did not finish its closing handshake in time is released regardless.
    for (const entry of [...this.#entries]) this.#release(entry);
    return asked;
  }

  #arm(entry: Entry, delay: number): void {
    // One timer per socket, re-armed only when it fires: activity just moves a timestamp.
    entry.timer = setTimeout(() => {
      if (entry.released) return;
      const silentFor = this.#now() - entry.lastActivity;
      if (silentFor < this.options.idleTimeoutMs) {
        this.#arm(entry, this.options.idleTimeoutMs - silentFor);
        return;
      }
      entry.timer = undefined;
      const seconds = Math.round(this.options.idleTimeoutMs / 1000);
      if (entry.socket) closeSocket(entry.socket, CLOSE.idle, `idle: no ping for ${seconds} s`);
    }, Math.max(0, delay));
  }

  #release(entry: Entry): void {
    if (entry.released) return;
    entry.released = true;
    clearTimeout(entry.timer);
    this.#entries.delete(entry);
    const left = (this.#perScope.get(entry.scope) ?? 1) - 1;
    if (left > 0) this.#perScope.set(entry.scope, left);
    else this.#perScope.delete(entry.scope);
    if (entry.owner !== undefined) {
      const ofOwner = (this.#perOwner.get(entry.owner) ?? 1) - 1;
      if (ofOwner > 0) this.#perOwner.set(entry.owner, ofOwner);
      else this.#perOwner.delete(entry.owner);
    }
    if (this.#entries.size === 0) this.#drained?.();
  }
}

/** Closes a socket whatever its state; a socket still connecting is closed once it opens. */
export function closeSocket(socket: WebSocket, code: number, reason: string): void {
  if (socket.readyState === WebSocket.CONNECTING) {
    socket.addEventListener("open", () => closeSocket(socket, code, reason), { once: true });
    return;
  }
  if (socket.readyState !== WebSocket.OPEN) return;
  try {
    socket.close(code, reason);
  } catch {
    // Already closing: nothing left to do.
  }
}
