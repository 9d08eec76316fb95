/**
 * Feedback use cases: create, read, list, answer, cancel, wait for an answer, and watch sessions
 * and owners change. The only door to stored feedback: transports and pages call these methods
 * and never see the store, its KV keys or the watch hub. Throws the errors of `lib/errors.ts`;
 * knows nothing of HTTP, MCP or WebSockets.
 *
 * Two per-owner caps live here (0 turns one off), both refused with `QUOTA_EXCEEDED` (429):
 * - pending sessions, counted in KV (a per-owner pending index written and deleted in the same
 *   atomic writes as the session), so the cap holds across instances: it protects storage.
 *   Creates racing past the count can overshoot it by the number in flight at once, which the
 *   per-owner create rate limit bounds;
 * - waits in progress, counted in this instance's memory, because what a wait holds (a request,
 *   a watch listener, a timer) is this instance's. Only a wait that actually waits counts.
 * - image bytes (`image_bytes`), counted in KV from per-session usage entries that expire with
 *   the images' chunks: a question's images count against its owner, and so do its answer's.
 *   Like the pending cap, uploads racing past the count can overshoot it by what is in flight.
 *
 * Images (docs/images.md) are checked whole before anything is stored (`lib/images/check.ts`),
 * their chunks written before the one atomic commit that lists them in the session record, and
 * deleted at once by a request that then surely lost (a commit that threw may have been applied:
 * its chunks are left to expire). An answer's session is checked before its images are decoded,
 * and at most {@link MAX_IMAGE_UPLOADS} uploads per instance decode and write at once.
 * @module
 */
import type { z } from "zod";
import type { FeedbackLimits, OwnerQuotas } from "../config.ts";
import {
  AlreadySubmittedError,
  AppError,
  NoFeedbackError,
  SessionGoneError,
  SessionNotFoundError,
  ValidationError,
} from "../errors.ts";
import { sha256Hex } from "../hash.ts";
import { checkImages } from "../images/check.ts";
import { Slots } from "../images/slots.ts";
import type { WatchHub } from "../watch_hub.ts";
import { ImageStore, StagedImages } from "./image_store.ts";
import {
  checkAnswer,
  clampPurge,
  combineFeedback,
  createInputSchema,
  effectiveStatus,
  type FeedbackSession,
  parseOrThrow,
  type SessionStatus,
  type StoredImage,
  type SubmitInput,
  submitInputSchema,
} from "./model.ts";
import {
  FeedbackStore,
  type IdempotencyWrite,
  ownerChangeKey,
  type OwnerEvent,
  type OwnerIndexEntry,
  sessionKey,
  type VersionedIdempotency,
  type VersionedSession,
  type WriteOptions,
} from "./store.ts";
import {
  createCursorCodec,
  type CursorCodec,
  type CursorScope,
  type ListPosition,
} from "./cursor.ts";

export type { OwnerEvent };

/** What the service needs; `now` is injectable so expiry can be tested. */
export interface FeedbackServiceDeps {
  kv: Deno.Kv;
  limits: FeedbackLimits;
  hub: WatchHub;
  /** Per-owner caps on pending sessions, waits and image bytes; absent or 0 means no cap. */
  quotas?: Partial<Pick<OwnerQuotas, "maxPending" | "maxWaits" | "maxImageBytes">>;
  now?: () => number;
  /**
   * Key material for signed list cursors: the JWT secret, so every instance sharing it accepts
   * the others' cursors. Required: a per-process key would work in tests and on one instance,
   * and break paging only once a load balancer sends the next page elsewhere.
   */
  cursorSecret: string;
}

/** Options of {@link FeedbackService.create} and {@link FeedbackService.createOrReuse}. */
export interface CreateOptions {
  /**
   * The caller's key (1-200 characters): a create with a key the owner used before returns that
   * session for as long as it exists, whatever its status; with other arguments it is refused.
   */
  idempotencyKey?: string;
  /**
   * Without a key, treat the same arguments as the same question while it is still pending (a
   * client that timed out and retried must not ask the human twice).
   */
  dedupe?: boolean;
  /** The name of the key in the caller's protocol, for its validation errors. */
  keyField?: string;
}

/** What {@link FeedbackService.createOrReuse} did. */
export interface CreateOutcome {
  session: FeedbackSession;
  /** True when an earlier create's session was returned instead of a new one. */
  reused: boolean;
}

/** The longest idempotency key, in characters (REST's `Idempotency-Key` and MCP's argument). */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 200;

/** JSON with object keys sorted at every level, so equal values always serialize alike. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0);
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** What a fingerprint keeps of images: their hashes and facts, never their megabytes. */
function imageFacts(staged: StagedImages): Promise<unknown[]> {
  return Promise.all(staged.images.map(async (image) => ({
    sha256: await sha256Hex(image.data),
    mimeType: image.mimeType,
    alt: image.alt,
  })));
}

type CreateSchema = ReturnType<typeof createInputSchema>;
/** A validated create request. */
type CreateData = z.output<CreateSchema>;

/** Why a wait ended, and the session as its watch last delivered it (undefined: nothing yet). */
interface WakeUp {
  reason: "settled" | "deadline" | "aborted" | "closed";
  seen: FeedbackSession | null | undefined;
}

/** Called with the stored record of a watched session after each write to it; null once gone. */
export type SessionListener = (session: FeedbackSession | null) => void;

/** Options of {@link FeedbackService.list}. */
export interface ListOptions {
  status?: SessionStatus;
  limit?: number;
  cursor?: string;
}

/** One page of an owner's sessions. */
export interface SessionPage {
  items: FeedbackSession[];
  /** Pass back to get the next page; null when there is none. */
  cursor: string | null;
}

/** How long one list call may scan when a status filter skips many entries. */
const MAX_LIST_SCAN = 1000;
/** Index entries whose sessions `list` reads in one round trip (KV's `getMany` limit). */
const LIST_BATCH = 10;
/** Compare-and-set retries before giving up (only reached under pathological contention). */
const MAX_CAS_ATTEMPTS = 20;

/** An image of a session with its bytes, as {@link FeedbackService.readImage} returns it. */
export interface ImageContent {
  image: StoredImage;
  data: Uint8Array;
}

/**
 * Uploads with images that decode, check and write at once on one instance; the others wait
 * their turn. Each holds up to `FEEDBACK_MAX_IMAGES` × `FEEDBACK_MAX_IMAGE_BYTES` decoded (8 MiB
 * by default) and its chunk commits, so this bounds that memory and KV traffic (64 MiB); the
 * request bodies themselves are bounded by the transports' body caps and rate limits.
 */
export const MAX_IMAGE_UPLOADS = 8;

/** Image ids are `q1`.. and `a1`..; anything else names no image. */
const IMAGE_ID = /^[qa][1-9][0-9]{0,2}$/;

/** Bytes as a short English size, for quota messages. */
function sizeText(bytes: number): string {
  return bytes >= 1024 * 1024
    ? `${(bytes / (1024 * 1024)).toFixed(1)} MiB`
    : `${Math.ceil(bytes / 1024)} KiB`;
}

/** The REST `result?wait` cap (0–55 s, the contract); MCP calls use `MCP_MAX_WAIT` instead. */
export const MAX_WAIT_SECONDS = 55;

/**
 * `session` as it reads at `now`: null once purged, and past its deadline the record `get` would
 * store (`expired`, `expiredAt` = deadline), without storing it.
 */
function asOf(session: FeedbackSession, now: number): FeedbackSession | null {
  if (now >= session.purgeAt) return null;
  const status = effectiveStatus(session, now);
  return status === session.status ? session : { ...session, status, expiredAt: session.expiresAt };
}

/** `entries` in arrays of `size` (the last may be shorter), stopping after `max` entries. */
async function* inBatches<T>(
  entries: AsyncIterable<T>,
  size: number,
  max: number,
): AsyncGenerator<T[]> {
  let batch: T[] = [];
  let taken = 0;
  for await (const entry of entries) {
    batch.push(entry);
    taken++;
    if (batch.length === size) {
      yield batch;
      batch = [];
    }
    if (taken >= max) break;
  }
  if (batch.length > 0) yield batch;
}

/** The feedback use cases. */
export class FeedbackService {
  readonly #store: FeedbackStore;
  readonly #images: ImageStore;
  readonly #limits: FeedbackLimits;
  readonly #hub: WatchHub;
  readonly #now: () => number;
  #cursors: CursorCodec;
  #createSchema: CreateSchema;
  #submitSchema;
  /** Finishers of the waits in progress, so {@link close} can end them. */
  #waiters = new Set<() => void>();
  /** Waits in progress per owner (only those with an owner), for the wait cap. */
  #waitsByOwner = new Map<string, number>();
  #maxPending: number;
  #maxWaits: number;
  #maxImageBytes: number;
  /** See {@link MAX_IMAGE_UPLOADS}. */
  #uploads = new Slots(MAX_IMAGE_UPLOADS);
  #closed = false;

  constructor(deps: FeedbackServiceDeps) {
    this.#store = new FeedbackStore(deps.kv);
    this.#images = new ImageStore(deps.kv);
    this.#limits = deps.limits;
    this.#hub = deps.hub;
    this.#now = deps.now ?? Date.now;
    this.#maxPending = deps.quotas?.maxPending ?? 0;
    this.#maxWaits = deps.quotas?.maxWaits ?? 0;
    this.#maxImageBytes = deps.quotas?.maxImageBytes ?? 0;
    this.#cursors = createCursorCodec(deps.cursorSecret);
    this.#createSchema = createInputSchema(deps.limits);
    this.#submitSchema = submitInputSchema(deps.limits);
  }

  /**
   * Validates `input` and stores a new pending session owned by `owner`; refused with
   * `QUOTA_EXCEEDED` when the owner already has the most pending sessions allowed. With
   * `options`, may return an earlier session instead (see {@link createOrReuse}).
   */
  async create(
    owner: string,
    input: unknown,
    options: CreateOptions = {},
  ): Promise<FeedbackSession> {
    return (await this.createOrReuse(owner, input, options)).session;
  }

  /**
   * {@link create}, saying whether the session is an earlier one. With `idempotencyKey`, the
   * session an earlier create with that key made, as long as it exists (a validation error on
   * `keyField` if its arguments differed); with `dedupe` and no key, the session of an earlier
   * create with the same arguments while it is still pending. The key's mapping is written in the
   * session's own atomic commit, checked against the version read, so concurrent identical
   * creates make exactly one session: the others re-read and return it.
   */
  async createOrReuse(
    owner: string,
    input: unknown,
    options: CreateOptions = {},
  ): Promise<CreateOutcome> {
    const { idempotencyKey: key, keyField = "idempotencyKey" } = options;
    if (key !== undefined && (key.length < 1 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH)) {
      throw ValidationError.of(
        keyField,
        `must be 1-${MAX_IDEMPOTENCY_KEY_LENGTH} characters (got ${key.length})`,
      );
    }
    const data = parseOrThrow(this.#createSchema, input);
    if (data.images.length === 0) {
      return await this.#createChecked(
        owner,
        data,
        new StagedImages(this.#images, [], "q"),
        options,
      );
    }
    const done = await this.#uploads.take();
    try {
      const images = await checkImages(data.images, { maxImageBytes: this.#limits.maxImageBytes });
      const staged = new StagedImages(this.#images, images, "q");
      try {
        return await this.#createChecked(owner, data, staged, options);
      } finally {
        await staged.release(); // unless a session (maybe) lists them
      }
    } finally {
      done();
    }
  }

  /** {@link createOrReuse} once `data` and its images passed every check. */
  async #createChecked(
    owner: string,
    data: CreateData,
    staged: StagedImages,
    options: CreateOptions,
  ): Promise<CreateOutcome> {
    const { idempotencyKey: key, keyField = "idempotencyKey" } = options;
    if (key === undefined && !options.dedupe) {
      return { session: await this.#insertNew(owner, data, staged), reused: false };
    }
    // Images enter the fingerprint by their hashes (equal pictures, equal arguments), and only
    // when there are some: a question without images keeps the fingerprint it always had.
    const { images: _raw, ...rest } = data;
    const fingerprint = await sha256Hex(
      canonicalJson(staged.images.length ? { ...rest, images: await imageFacts(staged) } : rest),
    );
    // Without a key the fingerprint is the key; hashed again, so keys of both kinds look alike.
    const keyHash = await sha256Hex(key ?? fingerprint);
    // Optimistic: most creates are first asks, so write as if the key were unused (the commit
    // checks that it is) and read the mapping only when that fails. A first ask costs no extra
    // KV read. With images, the mapping is read first: a retried upload must not write its
    // megabytes again only to find the session it made.
    let mapping: VersionedIdempotency | undefined = staged.images.length
      ? await this.#store.getIdempotency(owner, keyHash)
      : undefined;
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      if (mapping?.record) {
        if (key !== undefined && mapping.record.fingerprint !== fingerprint) {
          throw ValidationError.of(keyField, "was already used with different arguments");
        }
        const earlier = await this.get(mapping.record.sessionId).catch((error) => {
          if (error instanceof SessionNotFoundError) return null;
          throw error;
        });
        // An explicit key names its session whatever became of it; the same arguments only name
        // a question still open (asking again after an answer is a new question).
        if (earlier?.owner === owner && (key !== undefined || earlier.status === "pending")) {
          return { session: earlier, reused: true };
        }
      }
      let session: FeedbackSession | null;
      try {
        session = await this.#insertNew(owner, data, staged, {
          keyHash,
          fingerprint,
          versionstamp: mapping ? mapping.versionstamp : null,
        });
      } catch (error) {
        // At the pending cap a repeated question is still answered with the one it repeats.
        if (mapping || !(error instanceof AppError && error.code === "QUOTA_EXCEEDED")) throw error;
        session = null;
      }
      if (session) return { session, reused: false };
      mapping = await this.#store.getIdempotency(owner, keyHash);
    }
    throw new Error("too much write contention on one idempotency key");
  }

  /**
   * Stores a new session from validated `data`. With `idempotency`, null when its mapping changed
   * since it was read (another create won: read it again).
   */
  async #insertNew(
    owner: string,
    data: CreateData,
    staged: StagedImages,
  ): Promise<FeedbackSession>;
  async #insertNew(
    owner: string,
    data: CreateData,
    staged: StagedImages,
    idempotency: IdempotencyWrite,
  ): Promise<FeedbackSession | null>;
  async #insertNew(
    owner: string,
    data: CreateData,
    staged: StagedImages,
    idempotency?: IdempotencyWrite,
  ): Promise<FeedbackSession | null> {
    const now = this.#now();
    const cap = this.#maxPending;
    if (cap > 0 && await this.#store.countPending(owner, { now, limit: cap }) >= cap) {
      throw new AppError(
        "QUOTA_EXCEEDED",
        `You have ${cap} questions waiting for an answer; cancel or wait for some before asking more.`,
        { resource: "pending_sessions", limit: cap },
      );
    }
    const expiresAt = now + data.timeout * 1000;
    const purgeAt = expiresAt + this.#limits.retention * 1000;
    const id = crypto.randomUUID();
    let images: StoredImage[] | undefined;
    const write: WriteOptions = {};
    let imagesUntil: number | undefined;
    if (staged.images.length) {
      await this.#checkImageQuota(owner, staged.bytes, { now, answer: false });
      images = await staged.write({ now, purgeAt });
      // A retry reuses chunks written a moment ago: the session never outlives them.
      imagesUntil = staged.until;
      write.imageUsage = {
        owner,
        sessionId: id,
        part: "q",
        bytes: staged.bytes,
        until: staged.until,
      };
    }
    const session = clampPurge({
      id,
      owner,
      title: data.title,
      message: data.message,
      predefinedOptions: data.predefinedOptions,
      multiSelect: data.multiSelect,
      allowFreeText: data.allowFreeText,
      metadata: data.metadata,
      status: "pending",
      createdAt: now,
      expiresAt,
      purgeAt,
      ...(images ? { images, imagesUntil } : {}),
    });
    const inserted = await staged.commit(() =>
      this.#store.insert(session, now, { ...write, idempotency })
    );
    if (!inserted) {
      if (idempotency) return null;
      throw new Error("session id collision"); // 122 random bits: never expected
    }
    return session;
  }

  /** A session by its capability id, with expiry applied. */
  async get(id: string): Promise<FeedbackSession> {
    return (await this.#load(id)).session;
  }

  /** A session that must belong to `owner`; anyone else's is reported as not found. */
  async getOwned(owner: string, id: string): Promise<FeedbackSession> {
    const session = await this.get(id);
    if (session.owner !== owner) throw new SessionNotFoundError();
    return session;
  }

  /**
   * Several sessions by id, in order, with expiry applied as {@link get} applies it (a purged or
   * missing session is null; a pending one past its deadline reads as expired) but nothing
   * written: a sweep or the next `get` stores the expiry. One KV read per ten ids.
   */
  async getMany(ids: string[]): Promise<(FeedbackSession | null)[]> {
    const sessions = await this.#store.getMany(ids);
    const now = this.#now();
    return sessions.map((session) => session && asOf(session, now));
  }

  /**
   * The owner's sessions, newest first. `cursor` must be one this method returned for the same
   * owner and status filter (see `cursor.ts`); anything else is a validation error on `cursor`.
   * A page is full at `limit` sessions and then always has a cursor; a call also stops after 1000
   * index entries (a status filter may skip many), with a cursor however short its page.
   */
  async list(owner: string, options: ListOptions = {}): Promise<SessionPage> {
    const limit = options.limit ?? 20;
    const scope = { owner, status: options.status };
    const after = options.cursor === undefined
      ? undefined
      : await this.#readCursor(scope, options.cursor);
    const items: FeedbackSession[] = [];
    let scanned = 0;
    let last: OwnerIndexEntry | undefined;
    const entries = this.#store.listOwner(owner, after);
    for await (const batch of inBatches(entries, LIST_BATCH, MAX_LIST_SCAN)) {
      const sessions = await this.getMany(batch.map((entry) => entry.sessionId));
      for (const [i, entry] of batch.entries()) {
        last = entry;
        const session = sessions[i];
        // The index is the owner's by construction; the record is checked as well, so no index
        // entry (stale, or written by a bug) can ever show someone else's session.
        if (!session || session.owner !== owner) continue;
        if (options.status && session.status !== options.status) continue;
        items.push(session);
        if (items.length === limit) return await this.#page(scope, items, entry);
      }
      scanned += batch.length;
    }
    return await this.#page(scope, items, scanned >= MAX_LIST_SCAN ? last : undefined);
  }

  /** The position `cursor` names, or a validation error on `cursor`. */
  async #readCursor(scope: CursorScope, cursor: string): Promise<ListPosition> {
    const after = await this.#cursors.read(scope, cursor);
    if (!after) {
      throw ValidationError.of(
        "cursor",
        "is not a cursor this service handed out for this caller and status filter",
      );
    }
    return after;
  }

  /** A page of `items`, with a cursor that resumes after `last` when there is one. */
  async #page(
    scope: CursorScope,
    items: FeedbackSession[],
    last: OwnerIndexEntry | undefined,
  ): Promise<SessionPage> {
    const position = last && { createdAt: last.createdAt, sessionId: last.sessionId };
    return { items, cursor: position ? await this.#cursors.issue(scope, position) : null };
  }

  /**
   * Records the human's answer: one atomic compare-and-set, so exactly one answer ever wins.
   * With images, the session is checked (it exists, is pending, the answer fits it) before an
   * image is decoded, and the owner's room before a chunk is written, so a late answer costs
   * neither; a loser of the race deletes its chunks before it hears 409.
   */
  async submit(id: string, input: unknown): Promise<FeedbackSession> {
    const answer = parseOrThrow(this.#submitSchema, input);
    if (!answer.images?.length) {
      return await this.#transition(id, (session, now) => this.#answered(session, answer, now));
    }
    const current = (await this.#load(id)).session;
    this.#assertOpen(current);
    checkAnswer(current, answer);
    const done = await this.#uploads.take();
    try {
      const images = await checkImages(answer.images, {
        maxImageBytes: this.#limits.maxImageBytes,
      });
      return await this.#submitImages(current, answer, new StagedImages(this.#images, images, "a"));
    } finally {
      done();
    }
  }

  /** {@link submit} of an answer with `staged` images, once they passed every check. */
  async #submitImages(
    current: FeedbackSession,
    answer: SubmitInput,
    staged: StagedImages,
  ): Promise<FeedbackSession> {
    const now = this.#now();
    await this.#checkImageQuota(current.owner, staged.bytes, { now, answer: true });
    try {
      const images = await staged.write({ now, purgeAt: now + this.#limits.retention * 1000 });
      const usage = {
        owner: current.owner,
        sessionId: current.id,
        part: "a" as const,
        bytes: staged.bytes,
        until: staged.until,
      };
      return await this.#transition(
        current.id,
        (session, at) => this.#answered(session, answer, at, { images, until: staged.until }),
        { imageUsage: usage },
        staged,
      );
    } finally {
      await staged.release(); // a loser's, or a refused answer's: at once
    }
  }

  /**
   * `session` answered with `answer` at `now` (and `images`, whose chunks expire at `until`), or
   * the error that refuses it.
   */
  #answered(
    session: FeedbackSession,
    answer: SubmitInput,
    now: number,
    stored?: { images: StoredImage[]; until: number },
  ): FeedbackSession {
    this.#assertOpen(session);
    checkAnswer(session, answer);
    return {
      ...session,
      status: "completed",
      submittedAt: now,
      purgeAt: now + this.#limits.retention * 1000,
      ...(stored ? { imagesUntil: Math.min(session.imagesUntil ?? Infinity, stored.until) } : {}),
      feedback: {
        selectedOptions: answer.selectedOptions,
        freeText: answer.freeText,
        combinedFeedback: combineFeedback(answer.selectedOptions, answer.freeText),
        metadata: answer.metadata,
        ...(stored ? { images: stored.images } : {}),
      },
    };
  }

  /**
   * An image of session `id` (`q…` of the question, `a…` of the answer) with its bytes. With
   * `owner`, the session must be theirs. A session that is gone (or another owner's) is
   * `SESSION_NOT_FOUND`; an id the session does not list is `NOT_FOUND`.
   */
  async readImage(
    id: string,
    imageId: string,
    options: { owner?: string } = {},
  ): Promise<ImageContent> {
    const session = options.owner ? await this.getOwned(options.owner, id) : await this.get(id);
    const image = IMAGE_ID.test(imageId)
      ? [...session.images ?? [], ...session.feedback?.images ?? []].find((i) => i.id === imageId)
      : undefined;
    if (!image) throw new AppError("NOT_FOUND", "This session has no image with this id.");
    const data = await this.#images.read(image);
    // Not expected (a session never outlives its chunks), but a store restored from a backup can
    // lose some: the caller hears the image is gone and keeps the rest (the answer's text).
    if (!data) {
      throw new AppError("NOT_FOUND", "This image is no longer stored.", { imageId: image.id });
    }
    return { image, data };
  }

  /** Refuses `adding` image bytes that would take `owner` past the image quota. */
  async #checkImageQuota(
    owner: string,
    adding: number,
    options: { now: number; answer: boolean },
  ): Promise<void> {
    const cap = this.#maxImageBytes;
    if (cap <= 0) return;
    const used = await this.#images.usage(owner, { now: options.now, limit: cap });
    if (used + adding <= cap) return;
    throw new AppError(
      "QUOTA_EXCEEDED",
      options.answer
        ? "The person who asked has no room left for more images; send the answer without images, or with fewer or smaller ones."
        : `Your sessions already hold ${sizeText(used)} of images and these ${
          sizeText(adding)
        } would pass the ${
          sizeText(cap)
        } allowed; send fewer or smaller images, or wait for older sessions to end.`,
      { resource: "image_bytes", limit: cap },
    );
  }

  /** Withdraws a pending question. */
  async cancel(owner: string, id: string): Promise<FeedbackSession> {
    return await this.#transition(id, (session, now) => {
      if (session.owner !== owner) throw new SessionNotFoundError();
      this.#assertOpen(session);
      return {
        ...session,
        status: "cancelled",
        cancelledAt: now,
        purgeAt: now + this.#limits.retention * 1000,
      };
    });
  }

  /** Records the first time the human opened the page; later views change nothing. */
  async markViewed(id: string): Promise<FeedbackSession> {
    return await this.#transition(
      id,
      (session, now) =>
        session.viewedAt !== undefined || session.status !== "pending"
          ? null
          : { ...session, viewedAt: now },
    );
  }

  /**
   * Calls `listener` with session `id` as stored, at once and after every write to it (null once
   * it is gone), through this instance's shared KV watch: any number of listeners on one session
   * cost one watched key, and keys share `kv.watch` streams ten to one (`WatchHub`). No expiry is
   * applied: expiring is a write, and arrives as one. Returns the function that stops listening.
   */
  watchSession(id: string, listener: SessionListener): () => void {
    return this.#hub.subscribe<FeedbackSession>(sessionKey(id), (session) => listener(session));
  }

  /**
   * Calls `listener` once the watch has started and again whenever one of `owner`'s sessions is
   * created or changes status (several changes may come as one call): the cue to read
   * {@link ownerEventsSince}. One shared KV watch per owner. Returns the function that stops.
   */
  watchOwner(owner: string, listener: () => void): () => void {
    return this.#hub.subscribe(ownerChangeKey(owner), () => listener());
  }

  /**
   * `owner`'s events recorded at `since` (ms) or later, oldest first, read from KV `batchSize`
   * (default 500) at a time however many there are. Events stay readable for ten minutes.
   */
  ownerEventsSince(
    owner: string,
    since: number,
    options: { batchSize?: number } = {},
  ): AsyncIterable<OwnerEvent> {
    return this.#store.listOwnerEvents(owner, { since, batchSize: options.batchSize });
  }

  /**
   * Waits until the session leaves `pending`, `waitMs` passes or `signal` aborts, woken by the
   * shared KV watch (never by polling), and returns the session as it then is. With `owner`, a
   * wait that has to wait counts against the owner's wait cap and is refused with
   * `QUOTA_EXCEEDED` at the cap; one that returns at once is never refused.
   */
  async waitForSettled(
    id: string,
    options: { waitMs: number; signal?: AbortSignal; owner?: string },
  ): Promise<FeedbackSession> {
    const first = options.owner ? await this.getOwned(options.owner, id) : await this.get(id);
    if (
      first.status !== "pending" || options.waitMs <= 0 || options.signal?.aborted || this.#closed
    ) {
      return first;
    }

    const deadline = Math.min(this.#now() + options.waitMs, first.expiresAt);
    const release = options.owner === undefined ? () => {} : this.#holdWait(options.owner);
    let woken: WakeUp;
    try {
      woken = await this.#sleepUntilSettled(id, deadline, options.signal);
    } finally {
      release();
    }
    // The watch delivered every write, so its last value is the session as stored: an answer,
    // a wait that simply ran out, a client gone or a shutdown need no second read (at ten
    // thousand waits, that is ten thousand reads at shutdown and one per re-poll). Only the
    // session's own deadline reads again, so that `get` stores the expiry.
    if (woken.reason !== "deadline" || deadline < first.expiresAt) {
      const seen = woken.seen === undefined ? first : woken.seen;
      return (seen && asOf(seen, this.#now())) ?? { ...first, status: "expired" };
    }
    return await this.get(id).catch((error) => {
      if (error instanceof SessionNotFoundError) return { ...first, status: "expired" as const };
      throw error;
    });
  }

  /** Uploads with images decoding and writing on this instance, and those waiting their turn. */
  get imageUploads(): { inProgress: number; waiting: number } {
    return { inProgress: this.#uploads.held, waiting: this.#uploads.waiting };
  }

  /** How many waits `owner` holds on this instance (what the wait cap counts). */
  waitsInProgress(owner: string): number {
    return this.#waitsByOwner.get(owner) ?? 0;
  }

  /** Takes one of `owner`'s wait places or throws at the cap; returns its release (idempotent). */
  #holdWait(owner: string): () => void {
    const held = this.#waitsByOwner.get(owner) ?? 0;
    const cap = this.#maxWaits;
    if (cap > 0 && held >= cap) {
      throw new AppError(
        "QUOTA_EXCEEDED",
        `You have ${cap} waits for an answer in progress; let one finish before starting another.`,
        { resource: "waits", limit: cap },
      );
    }
    this.#waitsByOwner.set(owner, held + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#waitsByOwner.get(owner) ?? 1) - 1;
      if (left > 0) this.#waitsByOwner.set(owner, left);
      else this.#waitsByOwner.delete(owner);
    };
  }

  /**
   * Resolves at `deadline`, when the session leaves `pending`, on abort, or on {@link close}, with
   * why and the last value the watch delivered.
   */
  #sleepUntilSettled(id: string, deadline: number, signal?: AbortSignal): Promise<WakeUp> {
    return new Promise<WakeUp>((resolve) => {
      let unsubscribe = () => {};
      let seen: FeedbackSession | null | undefined;
      const finish = (reason: WakeUp["reason"]) => {
        clearTimeout(timer);
        unsubscribe();
        signal?.removeEventListener("abort", aborted);
        this.#waiters.delete(closed);
        resolve({ reason, seen });
      };
      const aborted = () => finish("aborted");
      const closed = () => finish("closed");
      const timer = setTimeout(() => finish("deadline"), Math.max(0, deadline - this.#now()));
      signal?.addEventListener("abort", aborted, { once: true });
      this.#waiters.add(closed);
      unsubscribe = this.watchSession(id, (value) => {
        seen = value;
        if (!value || value.status !== "pending") finish("settled");
      });
    });
  }

  /** The answer, waiting up to `waitMs` for it; otherwise {@link NoFeedbackError} with the status. */
  async result(
    owner: string,
    id: string,
    options: { waitMs?: number; signal?: AbortSignal } = {},
  ): Promise<FeedbackSession> {
    const session = await this.waitForSettled(id, {
      owner,
      waitMs: options.waitMs ?? 0,
      signal: options.signal,
    });
    if (session.status !== "completed" || !session.feedback) {
      throw new NoFeedbackError(session.status);
    }
    return session;
  }

  /** Marks every pending session past its deadline as expired; returns how many it changed. */
  async expireDue(limit = 100): Promise<number> {
    let changed = 0;
    for (const id of await this.#store.dueForExpiry(this.#now(), limit)) {
      const loaded = await this.#load(id).catch((error) => {
        if (error instanceof SessionNotFoundError) return null;
        throw error;
      });
      if (loaded?.expiredNow) changed++;
    }
    return changed;
  }

  /**
   * Ends every wait in progress at once (each returns the session as it then is), and makes
   * later waits return at once: called on shutdown, so draining requests does not wait for them.
   */
  close(): void {
    this.#closed = true;
    for (const finish of [...this.#waiters]) finish();
  }

  /**
   * Applies `change` to the current session with a compare-and-set, retrying when another write
   * came first. `change` returns the next session, or null when there is nothing to write; its
   * purge time is clamped to the images' (see `clampPurge`). `staged`: the images the change
   * lists, whose fate follows the commit's.
   */
  async #transition(
    id: string,
    change: (session: FeedbackSession, now: number) => FeedbackSession | null,
    write: WriteOptions = {},
    staged?: StagedImages,
  ): Promise<FeedbackSession> {
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const current = await this.#load(id);
      const now = this.#now();
      const changed = change(current.session, now);
      if (!changed) return current.session;
      const next = clampPurge(changed);
      const replace = () => this.#store.replace(current, next, now, write);
      if (await (staged ? staged.commit(replace) : replace())) return next;
    }
    throw new Error("too much write contention on one session"); // no id: it is a capability
  }

  /** Reads a session and stores it as expired if its deadline has passed. */
  async #load(id: string): Promise<VersionedSession & { expiredNow: boolean }> {
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const current = await this.#store.get(id);
      const now = this.#now();
      if (!current || now >= current.session.purgeAt) throw new SessionNotFoundError();
      if (current.session.status !== "pending" || now < current.session.expiresAt) {
        return { ...current, expiredNow: false };
      }
      const expired = clampPurge({
        ...current.session,
        status: "expired",
        expiredAt: current.session.expiresAt,
      });
      if (await this.#store.replace(current, expired, now)) {
        const stored = await this.#store.get(id);
        if (stored) return { ...stored, expiredNow: true };
      }
    }
    throw new Error("too much write contention on one session"); // no id: it is a capability
  }

  #assertOpen(session: FeedbackSession): void {
    if (session.status === "completed") throw new AlreadySubmittedError();
    if (session.status === "expired" || session.status === "cancelled") {
      throw new SessionGoneError(session.status);
    }
  }
}
