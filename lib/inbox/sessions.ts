/**
 * Inbox sessions: what a browser holds after signing in to `/inbox` with a bearer token once.
 *
 * The browser keeps only a random secret (256 bits) in an `HttpOnly` cookie; KV keeps the session
 * under the SHA-256 of that secret, so a copy of the database holds no usable cookie. Because the
 * session lives on the server, signing out or revoking deletes it and a copied cookie stops
 * working at the next request (and open owner streams signed in with it are closed: see
 * {@link InboxSessions.watch}). Sessions slide: each use within the lifetime pushes the expiry
 * out again, written at most once per {@link TOUCH_INTERVAL_MS} so that reading the inbox is not
 * a KV write per request. Each session has its own CSRF token for the inbox's state-changing
 * requests, and a public id (not the secret) by which the owner lists and revokes sessions.
 * @module
 */
import { pushDeviceKey } from "../notify/outbox.ts";

/** How long a session lives after its last use. */
export const SESSION_TTL_MS = 30 * 24 * 3600 * 1000;
/** A session's expiry is pushed out (one KV write) at most this often. */
export const TOUCH_INTERVAL_MS = 3600 * 1000;
/** Sessions one owner may hold; a new sign-in past it ends the least recently used one. */
export const MAX_SESSIONS_PER_OWNER = 20;

/** One signed-in browser, as stored. */
export interface InboxSession {
  /** Public id: listed to the owner and used to revoke; never the cookie's secret. */
  id: string;
  owner: string;
  /** Epoch ms. */
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
  /** A short label of the browser, e.g. "Chrome on Android" (never the full User-Agent). */
  device: string;
  /** Sent back with every state-changing inbox request (hidden field or `X-CSRF-Token`). */
  csrfToken: string;
}

/** A session found by its cookie: the record, and the KV reference to watch it by. */
export interface AuthenticatedInboxSession {
  session: InboxSession;
  /** The SHA-256 of the cookie's secret (the record's key part). */
  ref: string;
  /** The expiry moved: send the cookie again so the browser's copy slides too. */
  renewed: boolean;
}

/** A new session and the secret to put in the cookie. */
export interface NewInboxSession {
  session: InboxSession;
  secret: string;
}

/** What a store needs. */
export interface InboxSessionsDeps {
  kv: Deno.Kv;
  /** Wall clock (epoch ms). */
  now?: () => number;
  /** Watches keys for {@link InboxSessions.watch} (the instance's `WatchHub`). */
  watchKey?: (key: Deno.KvKey, listener: (value: unknown) => void) => () => void;
}

/** The record of a session, by the hash of its secret. */
export const inboxSessionKey = (ref: string): Deno.KvKey => ["inbox", "session", ref];
/** The owner's index of sessions, by public id; the value is the record's ref. */
export const inboxOwnerIndexKey = (owner: string, id: string): Deno.KvKey => [
  "inbox",
  "by_owner",
  owner,
  id,
];

const SECRET_BYTES = 32;

function encodeBase64Url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_")
    .replace(/=+$/, "");
}
/** base64url of 32 bytes. */
const SECRET_PATTERN = /^[A-Za-z0-9_-]{43}$/;

function randomToken(bytes: number): string {
  return encodeBase64Url(crypto.getRandomValues(new Uint8Array(bytes)));
}

async function refOf(secret: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(secret));
  return encodeBase64Url(new Uint8Array(digest));
}

/** Inbox sessions in KV; stateless, so any number of instances (and transports) share them. */
export class InboxSessions {
  readonly #kv: Deno.Kv;
  readonly #now: () => number;
  readonly #watchKey: InboxSessionsDeps["watchKey"];

  constructor(deps: InboxSessionsDeps) {
    this.#kv = deps.kv;
    this.#now = deps.now ?? Date.now;
    this.#watchKey = deps.watchKey;
  }

  /** Starts a session for `owner` (already authenticated by a bearer token). */
  async create(owner: string, options: { device: string }): Promise<NewInboxSession> {
    const now = this.#now();
    const secret = randomToken(SECRET_BYTES);
    const ref = await refOf(secret);
    const session: InboxSession = {
      id: crypto.randomUUID(),
      owner,
      createdAt: now,
      lastSeenAt: now,
      expiresAt: now + SESSION_TTL_MS,
      device: options.device.slice(0, 80),
      csrfToken: randomToken(24),
    };
    await this.#evictBeyondCap(owner);
    const result = await this.#kv.atomic()
      .check({ key: inboxSessionKey(ref), versionstamp: null })
      .set(inboxSessionKey(ref), session, { expireIn: SESSION_TTL_MS })
      .set(inboxOwnerIndexKey(owner, session.id), ref, { expireIn: SESSION_TTL_MS })
      .commit();
    // 256 random bits never collide; a failed commit would be a broken RNG, not a race.
    if (!result.ok) throw new Error("inbox session id collision");
    return { session, secret };
  }

  /**
   * The live session a cookie's secret names, or null (absent, malformed, expired, signed out,
   * revoked). Slides the expiry when the last write is older than {@link TOUCH_INTERVAL_MS}.
   */
  async authenticate(secret: string | undefined | null): Promise<AuthenticatedInboxSession | null> {
    if (!secret || !SECRET_PATTERN.test(secret)) return null;
    const ref = await refOf(secret);
    const entry = await this.#kv.get<InboxSession>(inboxSessionKey(ref));
    const session = entry.value;
    const now = this.#now();
    if (!session || session.expiresAt <= now) return null;
    if (now - session.lastSeenAt < TOUCH_INTERVAL_MS) return { session, ref, renewed: false };
    const touched = { ...session, lastSeenAt: now, expiresAt: now + SESSION_TTL_MS };
    const result = await this.#kv.atomic()
      .check(entry)
      .set(inboxSessionKey(ref), touched, { expireIn: SESSION_TTL_MS })
      .set(inboxOwnerIndexKey(session.owner, session.id), ref, { expireIn: SESSION_TTL_MS })
      .commit();
    // Lost to a concurrent touch or a sign-out: read again, so a deleted session stays deleted.
    if (!result.ok) {
      const again = (await this.#kv.get<InboxSession>(inboxSessionKey(ref))).value;
      return again && again.expiresAt > now ? { session: again, ref, renewed: false } : null;
    }
    return { session: touched, ref, renewed: true };
  }

  /** Ends the session a cookie's secret names (sign-out); nothing when there is none. */
  async end(secret: string | undefined | null): Promise<void> {
    if (!secret || !SECRET_PATTERN.test(secret)) return;
    const ref = await refOf(secret);
    const session = (await this.#kv.get<InboxSession>(inboxSessionKey(ref))).value;
    if (session) await this.#delete(session, ref);
  }

  /** The owner's live sessions, most recently used first. */
  async list(owner: string): Promise<InboxSession[]> {
    const refs: string[] = [];
    for await (const entry of this.#kv.list<string>({ prefix: ["inbox", "by_owner", owner] })) {
      refs.push(entry.value);
    }
    const sessions: InboxSession[] = [];
    const now = this.#now();
    // KV's getMany takes at most 10 keys.
    for (let i = 0; i < refs.length; i += 10) {
      const entries = await this.#kv.getMany<InboxSession[]>(
        refs.slice(i, i + 10).map(inboxSessionKey),
      );
      for (const { value } of entries) {
        if (value && value.owner === owner && value.expiresAt > now) sessions.push(value);
      }
    }
    return sessions.sort((a, b) => b.lastSeenAt - a.lastSeenAt);
  }

  /** Ends one of the owner's sessions by its public id; false when the owner has no such one. */
  async revoke(owner: string, id: string): Promise<boolean> {
    const ref = (await this.#kv.get<string>(inboxOwnerIndexKey(owner, id))).value;
    if (!ref) return false;
    const session = (await this.#kv.get<InboxSession>(inboxSessionKey(ref))).value;
    // Defence in depth: the index is per owner, but never delete another owner's record.
    if (!session || session.owner !== owner) {
      await this.#kv.delete(inboxOwnerIndexKey(owner, id));
      return false;
    }
    await this.#delete(session, ref);
    return true;
  }

  /**
   * Calls `onEnded` once when the session `ref` is deleted (sign-out, revoke, expiry), so a
   * socket signed in with it closes at once. Returns the function that stops watching.
   */
  watch(ref: string, onEnded: () => void): () => void {
    if (!this.#watchKey) throw new Error("InboxSessions was built without watchKey");
    let ended = false;
    return this.#watchKey(inboxSessionKey(ref), (value) => {
      if (value !== null || ended) return;
      ended = true;
      onEnded();
    });
  }

  async #delete(session: InboxSession, ref: string): Promise<void> {
    await this.#kv.atomic()
      .delete(inboxSessionKey(ref))
      .delete(inboxOwnerIndexKey(session.owner, session.id))
      // A signed-out device gets no more push notifications (lib/notify/push_devices.ts).
      .delete(pushDeviceKey(session.owner, session.id))
      .commit();
  }

  /** Makes room for one more session: ends the least recently used beyond the cap. */
  async #evictBeyondCap(owner: string): Promise<void> {
    const sessions = await this.list(owner);
    for (const old of sessions.slice(MAX_SESSIONS_PER_OWNER - 1)) {
      await this.revoke(owner, old.id);
    }
  }
}

/**
 * A short, non-identifying label of a browser from its User-Agent ("Chrome on Android"), shown
 * in the sessions list so the owner can tell their devices apart.
 */
export function deviceLabel(userAgent: string | null | undefined): string {
  const ua = userAgent ?? "";
  const browser = /Edg\//.test(ua)
    ? "Edge"
    : /OPR\//.test(ua)
    ? "Opera"
    : /Firefox\//.test(ua)
    ? "Firefox"
    : /Chrom(e|ium)\//.test(ua)
    ? "Chrome"
    : /Safari\//.test(ua)
    ? "Safari"
    : ua
    ? "Browser"
    : "Unknown browser";
  const os = /Android/.test(ua)
    ? "Android"
    : /iPhone|iPod/.test(ua)
    ? "iPhone"
    : /iPad/.test(ua)
    ? "iPad"
    : /CrOS/.test(ua)
    ? "ChromeOS"
    : /Windows/.test(ua)
    ? "Windows"
    : /Mac OS X|Macintosh/.test(ua)
    ? "macOS"
    : /Linux/.test(ua)
    ? "Linux"
    : "";
  return os ? `${browser} on ${os}` : browser;
}
