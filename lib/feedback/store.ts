/**
 * Where feedback sessions live in Deno KV: key builders and the atomic writes that keep the
 * session record and its indexes consistent. Every write that creates a session or changes its
 * status also appends an owner event and bumps the owner's change marker, which live updates
 * (WebSocket owner streams, a future inbox) watch, and records the notification event in the
 * outbox (`lib/notify/outbox.ts`) that the delivery sweep reads. A write that lists new images
 * (their chunks already written by `image_store.ts`) also writes the owner's image usage entry.
 * @module
 */
import { AppError } from "../errors.ts";
import { eventOf } from "../notify/events.ts";
import { OUTBOX_TTL_MS, outboxKey } from "../notify/outbox.ts";
import { type ImageUsage, setImageUsage } from "./image_store.ts";
import { type FeedbackSession, isTerminal, type SessionStatus } from "./model.ts";

/**
 * Every key of the feedback store starts here (for tests that check a refused request stored
 * nothing); no other module builds feedback keys.
 */
export const feedbackPrefix: Deno.KvKey = ["feedback"];
/** Prefix of the session records. */
export const sessionPrefix: Deno.KvKey = [...feedbackPrefix, "session"];
/** The session record. */
export const sessionKey = (id: string): Deno.KvKey => [...sessionPrefix, id];
/** Per-owner index, ordered by creation time: newest first when listed in reverse. */
export const ownerIndexKey = (owner: string, createdAt: number, id: string): Deno.KvKey => [
  "feedback",
  "by_owner",
  owner,
  createdAt,
  id,
];
/** Prefix of one owner's index. */
export const ownerIndexPrefix = (owner: string): Deno.KvKey => ["feedback", "by_owner", owner];
/** Pending sessions by deadline, so a sweep can expire sessions nobody is watching. */
export const expiryIndexKey = (expiresAt: number, id: string): Deno.KvKey => [
  "feedback",
  "by_expiry",
  expiresAt,
  id,
];
/** Prefix of the expiry index. */
export const expiryIndexPrefix: Deno.KvKey = ["feedback", "by_expiry"];
/**
 * One owner's pending session, valued with its `expiresAt`: counted to enforce the owner's
 * pending cap. Written with the session, deleted in the write that moves it out of `pending`.
 */
export const pendingIndexKey = (owner: string, id: string): Deno.KvKey => [
  "feedback",
  "pending_by_owner",
  owner,
  id,
];
/** Prefix of one owner's pending index. */
export const pendingIndexPrefix = (owner: string): Deno.KvKey => [
  "feedback",
  "pending_by_owner",
  owner,
];
/**
 * KV drops a pending index entry this long after its session's deadline if no write removed it
 * first (the expiring write does, normally within a second); counts ignore it from the deadline.
 */
export const PENDING_INDEX_MARGIN_MS = 60 * 1000;
/** One owner's event log entry; ids sort by time. */
export const ownerEventKey = (owner: string, eventId: string): Deno.KvKey => [
  "feedback",
  "owner_events",
  owner,
  eventId,
];
/** Prefix of one owner's event log. */
export const ownerEventPrefix = (owner: string): Deno.KvKey => ["feedback", "owner_events", owner];
/** Changes whenever any of the owner's sessions changes: the key owner streams watch. */
export const ownerChangeKey = (owner: string): Deno.KvKey => ["feedback", "owner_changed", owner];

/**
 * One owner's idempotency key (an explicit key, or the fingerprint of a question's arguments),
 * stored by its SHA-256 hex so no caller text becomes a key: the session it created. Written in
 * the same atomic commit as that session; dropped by KV once the session is purged.
 */
export const idempotencyKey = (owner: string, keyHash: string): Deno.KvKey => [
  "feedback",
  "idempotency",
  owner,
  keyHash,
];

/** What an idempotency key maps to. */
export interface IdempotencyRecord {
  sessionId: string;
  /** SHA-256 hex of the canonical JSON of the validated arguments of the create. */
  fingerprint: string;
}

/** An idempotency record as read, with the versionstamp a replacing write must check. */
export interface VersionedIdempotency {
  record: IdempotencyRecord | null;
  /** null when the key is unused. */
  versionstamp: string | null;
}

/** The idempotency mapping to write together with a new session. */
export interface IdempotencyWrite {
  keyHash: string;
  fingerprint: string;
  /** The versionstamp the mapping was read at (null: unused); the commit fails if it moved. */
  versionstamp: string | null;
}

/** How long owner events stay readable: long enough for a reconnecting stream to catch up. */
export const OWNER_EVENT_TTL_MS = 10 * 60 * 1000;

/** What happened to one of an owner's sessions. */
export interface OwnerEvent {
  id: string;
  sessionId: string;
  /** A session was created, or changed status: nothing else is an owner event. */
  kind: "created" | "status_changed";
  oldStatus: SessionStatus | null;
  newStatus: SessionStatus;
  at: number;
}

/** What a session write may carry besides the session itself. */
export interface WriteOptions {
  /** The usage entry of images this write lists for the first time (chunks already written). */
  imageUsage?: ImageUsage;
}

/** Options of {@link FeedbackStore.insert}. */
export interface InsertOptions extends WriteOptions {
  /** The idempotency key's mapping, written with the session. */
  idempotency?: IdempotencyWrite;
}

/** A session together with the versionstamp it was read at. */
export interface VersionedSession {
  session: FeedbackSession;
  versionstamp: string;
}

/** An owner index entry: the session it points to, and its position in the index. */
export interface OwnerIndexEntry {
  sessionId: string;
  createdAt: number;
}

/** The time part of an event id: ids, and so the log, sort by it. */
function eventIdPrefix(at: number): string {
  return Math.max(0, Math.floor(at)).toString().padStart(15, "0");
}

/** The last event time this process wrote, and how many events it wrote in that millisecond. */
const lastEvent = { at: -1, seq: 0 };

/**
 * A new event id: its time, then its order among this process's events of the same millisecond
 * (a create and a cancel can share one; a random suffix alone would replay them in either order),
 * then a random part so instances never collide.
 */
function eventId(at: number): string {
  const ms = Math.max(0, Math.floor(at));
  lastEvent.seq = ms === lastEvent.at ? lastEvent.seq + 1 : 0;
  lastEvent.at = ms;
  return `${eventIdPrefix(ms)}-${lastEvent.seq.toString().padStart(6, "0")}-${crypto.randomUUID()}`;
}

function ttl(session: FeedbackSession, now: number): number {
  return Math.max(1, session.purgeAt - now);
}

/**
 * KV refuses values above 64 KiB. Every field has its own limit, but text outside Latin-1 is
 * stored as UTF-16, so a question and an answer both at their maximum length in emoji can exceed
 * it together: that is the client's input being too large, never a server failure.
 */
function rethrowTooLarge(error: unknown): never {
  if (error instanceof TypeError && /too large/i.test(error.message)) {
    throw new AppError(
      "PAYLOAD_TOO_LARGE",
      "The question and its answer together are too large to store; shorten the text.",
      undefined,
      { cause: error },
    );
  }
  throw error;
}

/** KV access for feedback sessions. Holds no state besides the KV handle. */
export class FeedbackStore {
  constructor(readonly kv: Deno.Kv) {}

  /**
   * Writes a new session with its indexes, and with `idempotency` its key's mapping; false if the
   * id is taken or the mapping changed since it was read (another create won).
   */
  async insert(
    session: FeedbackSession,
    now: number,
    options: InsertOptions = {},
  ): Promise<boolean> {
    const { idempotency, imageUsage } = options;
    const expireIn = ttl(session, now);
    const event: OwnerEvent = {
      id: eventId(now),
      sessionId: session.id,
      kind: "created",
      oldStatus: null,
      newStatus: session.status,
      at: now,
    };
    const op = this.kv.atomic();
    if (idempotency) {
      const key = idempotencyKey(session.owner, idempotency.keyHash);
      const record: IdempotencyRecord = {
        sessionId: session.id,
        fingerprint: idempotency.fingerprint,
      };
      op.check({ key, versionstamp: idempotency.versionstamp }).set(key, record, { expireIn });
    }
    if (imageUsage) setImageUsage(op, imageUsage, now);
    const result = await op
      .check({ key: sessionKey(session.id), versionstamp: null })
      .set(sessionKey(session.id), session, { expireIn })
      .set(ownerIndexKey(session.owner, session.createdAt, session.id), session.id, { expireIn })
      .set(expiryIndexKey(session.expiresAt, session.id), session.id, { expireIn })
      .set(pendingIndexKey(session.owner, session.id), session.expiresAt, {
        expireIn: Math.max(1, session.expiresAt + PENDING_INDEX_MARGIN_MS - now),
      })
      .set(ownerEventKey(session.owner, event.id), event, { expireIn: OWNER_EVENT_TTL_MS })
      .set(ownerChangeKey(session.owner), event, { expireIn: OWNER_EVENT_TTL_MS })
      // The notification outbox, in the same commit: the event cannot be lost once acknowledged.
      .set(outboxKey(event.id), eventOf(session, null, event), { expireIn: OUTBOX_TTL_MS })
      .commit().catch(rethrowTooLarge);
    return result.ok;
  }

  /** Reads what one of `owner`'s idempotency keys maps to. */
  async getIdempotency(owner: string, keyHash: string): Promise<VersionedIdempotency> {
    const entry = await this.kv.get<IdempotencyRecord>(idempotencyKey(owner, keyHash));
    return { record: entry.value, versionstamp: entry.versionstamp };
  }

  /** Reads a session as stored (no expiry rules applied). */
  async get(id: string): Promise<VersionedSession | null> {
    const entry = await this.kv.get<FeedbackSession>(sessionKey(id));
    return entry.value && entry.versionstamp
      ? { session: entry.value, versionstamp: entry.versionstamp }
      : null;
  }

  /** Reads several sessions in one round trip per ten ids; missing ones are null. */
  async getMany(ids: string[]): Promise<(FeedbackSession | null)[]> {
    const out: (FeedbackSession | null)[] = [];
    for (let i = 0; i < ids.length; i += 10) {
      const entries = await this.kv.getMany<FeedbackSession[]>(
        ids.slice(i, i + 10).map(sessionKey),
      );
      out.push(...entries.map((e) => e.value));
    }
    return out;
  }

  /**
   * Replaces a session if it is still at `previous.versionstamp` (compare-and-set).
   * Leaving `pending` also drops the expiry and pending index entries. False when someone else
   * wrote first.
   */
  async replace(
    previous: VersionedSession,
    next: FeedbackSession,
    now: number,
    options: WriteOptions = {},
  ): Promise<boolean> {
    const old = previous.session;
    const expireIn = ttl(next, now);
    const op = this.kv.atomic()
      .check({ key: sessionKey(old.id), versionstamp: previous.versionstamp })
      .set(sessionKey(next.id), next, { expireIn });
    if (options.imageUsage) setImageUsage(op, options.imageUsage, now);
    if (isTerminal(next.status) && !isTerminal(old.status)) {
      op.delete(expiryIndexKey(old.expiresAt, old.id))
        .delete(pendingIndexKey(old.owner, old.id));
    }
    // Only a status change is news to the owner; a first view (`viewedAt`) is not an event.
    if (old.status !== next.status) {
      const event: OwnerEvent = {
        id: eventId(now),
        sessionId: next.id,
        kind: "status_changed",
        oldStatus: old.status,
        newStatus: next.status,
        at: now,
      };
      op.set(ownerEventKey(next.owner, event.id), event, { expireIn: OWNER_EVENT_TTL_MS })
        .set(ownerChangeKey(next.owner), event, { expireIn: OWNER_EVENT_TTL_MS });
      const notification = eventOf(next, old.status, event);
      if (notification) {
        op.set(outboxKey(event.id), notification, { expireIn: OUTBOX_TTL_MS });
      }
    }
    return (await op.commit().catch(rethrowTooLarge)).ok;
  }

  /**
   * Walks one owner's index, newest first, starting after the entry at `after` (exclusive).
   * The range is built from the owner's prefix and a (number, string) key suffix, so it can never
   * leave that owner's index: KV's own cursors are never taken from a client (a crafted one could
   * move the end of a reverse listing into the index of `alice\u0000bob`).
   */
  async *listOwner(
    owner: string,
    after?: { createdAt: number; sessionId: string },
  ): AsyncGenerator<OwnerIndexEntry> {
    const prefix = ownerIndexPrefix(owner);
    const selector: Deno.KvListSelector = after
      ? { prefix, end: ownerIndexKey(owner, after.createdAt, after.sessionId) }
      : { prefix };
    const iter = this.kv.list<string>(selector, { reverse: true, batchSize: 50 });
    for await (const entry of iter) {
      // The position is read from the key itself, so a later `end` lands exactly on this entry.
      const [createdAt, sessionId] = entry.key.slice(prefix.length);
      // Always true of a key `ownerIndexKey` built; checked so the types need no cast.
      if (typeof createdAt === "number" && typeof sessionId === "string") {
        yield { sessionId, createdAt };
      }
    }
  }

  /**
   * Walks one owner's event log, oldest first, from the events recorded at `since` (ms) to the
   * end, however many there are: the KV iterator fetches one page of `batchSize` after another.
   */
  async *listOwnerEvents(
    owner: string,
    options: { since: number; batchSize?: number },
  ): AsyncGenerator<OwnerEvent> {
    const prefix = ownerEventPrefix(owner);
    const iter = this.kv.list<OwnerEvent>({
      prefix,
      start: [...prefix, eventIdPrefix(options.since)],
    }, { batchSize: options.batchSize ?? 500 });
    for await (const entry of iter) yield entry.value;
  }

  /**
   * How many of `owner`'s sessions are pending at `now`, counting no further than `limit`.
   * Entries past their deadline are skipped: such a session is expired even if no sweep or
   * read has written it so yet.
   */
  async countPending(owner: string, options: { now: number; limit: number }): Promise<number> {
    let count = 0;
    const iter = this.kv.list<number>({ prefix: pendingIndexPrefix(owner) }, {
      batchSize: Math.min(Math.max(options.limit, 1), 500),
    });
    for await (const entry of iter) {
      if (entry.value > options.now && ++count >= options.limit) break;
    }
    return count;
  }

  /** Ids of pending sessions whose deadline is at or before `now`, oldest first. */
  async dueForExpiry(now: number, limit: number): Promise<string[]> {
    const ids: string[] = [];
    const iter = this.kv.list<string>({
      start: expiryIndexPrefix,
      end: [...expiryIndexPrefix, now + 1],
    }, { limit });
    for await (const entry of iter) ids.push(entry.value);
    return ids;
  }
}
