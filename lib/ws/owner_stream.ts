/**
 * Owner streams (`GET /ws?token=…`): every event of one owner's sessions, and only that owner's.
 *
 * Each owner with a stream on this instance has one channel: one owner watch
 * (`FeedbackService.watchOwner`, woken by every change of the owner's sessions) and a reader of
 * the owner's event log (`ownerEventsSince`). A change only says "read again": events are taken
 * from the log, so several writes that coalesce into one watch notification are all delivered.
 * Each read goes back a few seconds before the newest event seen, pages through to the end of the
 * log (a burst of any size is read whole) and drops ids already delivered, so events written in
 * the same millisecond, or by an instance whose clock runs a little behind, are not lost.
 * @module
 */
import type { Logger } from "../log.ts";
import { logFailure } from "../storage_guard.ts";
import type { FeedbackSession } from "../feedback/model.ts";
import type { FeedbackService, OwnerEvent } from "../feedback/service.ts";
import { type OutboundMessage, sessionCreated, transitionMessages } from "./protocol.ts";

/** How far back each read of the event log reaches, to absorb clock skew between instances. */
export const REREAD_WINDOW_MS = 5000;
/** Events fetched from KV in one page, and delivered in one chunk, at most. */
const MAX_EVENTS_PER_CHUNK = 500;

/** A socket on an owner stream, as the channel sees it. */
export interface OwnerMember {
  /**
   * Runs at the moment of joining, between two reads of the log (send `connection_established`
   * there, so the socket hears every event after it); false keeps the member out.
   */
  admit(): boolean;
  /** Sends pre-serialized messages. */
  deliver(texts: string[]): void;
}

/** What owner streams need. */
export interface OwnerStreamsDeps {
  /** The owner's watch, event log and sessions. */
  feedback: Pick<FeedbackService, "watchOwner" | "ownerEventsSince" | "getMany">;
  publicBaseUrl: string;
  /** Wall clock. */
  now: () => number;
  log: Logger;
}

/** Counters for tests. */
export interface OwnerStreamsStats {
  channels: number;
  members: number;
}

/** Options of {@link ownerEventMessages}. */
export interface OwnerEventContext {
  /** The event's session as stored now (null once purged): title, expiry and preview. */
  session: FeedbackSession | null;
  publicBaseUrl: string;
  /** Wall clock for the messages' timestamps. */
  now: number;
}

/** The messages one owner event stands for. */
export function ownerEventMessages(
  event: OwnerEvent,
  context: OwnerEventContext,
): OutboundMessage[] {
  const { session, publicBaseUrl, now } = context;
  if (event.kind === "created") {
    return session ? [sessionCreated({ session, publicBaseUrl }, now)] : [];
  }
  // Defensive at run time: the log may still hold kinds an earlier version wrote (such as views).
  if (event.kind !== "status_changed" || event.oldStatus === null) return [];
  // The record may already be further along; describe the transition this event recorded.
  const base = session ?? recordless(event);
  const view: FeedbackSession = {
    ...base,
    status: event.newStatus,
    submittedAt: base.submittedAt ?? event.at,
    cancelledAt: base.cancelledAt ?? event.at,
  };
  return transitionMessages({ session: view, oldStatus: event.oldStatus }, now);
}

/**
 * A stand-in for a session whose record is gone (purged between the event and its delivery):
 * the transition then happened at the event's time. Typed in full, so it stays a real
 * {@link FeedbackSession}; the messages read only its id, status and times.
 */
function recordless(event: OwnerEvent): FeedbackSession {
  return {
    id: event.sessionId,
    owner: "",
    title: null,
    message: "",
    predefinedOptions: [],
    multiSelect: false,
    allowFreeText: false,
    metadata: null,
    status: event.newStatus,
    createdAt: event.at,
    expiresAt: event.at,
    purgeAt: event.at,
  };
}

class OwnerChannel {
  readonly members = new Set<OwnerMember>();
  /** Joins still waiting for the channel to be primed; the channel stays open for them. */
  joining = 0;
  /** Ids delivered (or present before the first member), with their time, for de-duplication. */
  #seen = new Map<string, number>();
  /** Reads start here; it never moves backwards. */
  #floor: number;
  #newest: number;
  /** Serializes reads and joins, so a member joins between two reads, never during one. */
  #queue: Promise<void> = Promise.resolve();
  #readQueued = false;
  #primed = false;
  #closed = false;
  #unsubscribe: () => void = () => {};
  #ready: Promise<void>;
  readonly #deps: OwnerStreamsDeps;

  constructor(readonly owner: string, deps: OwnerStreamsDeps) {
    this.#deps = deps;
    this.#newest = deps.now();
    this.#floor = this.#newest - REREAD_WINDOW_MS;
    let markReady!: () => void;
    this.#ready = new Promise((resolve) => markReady = resolve);
    // The first notification (the key's current value) primes the channel: what the log already
    // holds counts as seen, and every event after it is delivered.
    this.#unsubscribe = deps.feedback.watchOwner(owner, () => {
      this.#scheduleRead().then(markReady);
    });
  }

  /** Adds a member once the log is primed, between two reads, if it {@link OwnerMember.admit}s. */
  async join(member: OwnerMember): Promise<boolean> {
    await this.#ready;
    let added = false;
    await this.#enqueue(() => {
      if (this.#closed || !member.admit()) return;
      this.members.add(member);
      added = true;
    });
    return added;
  }

  close(): void {
    this.#closed = true;
    this.#unsubscribe();
  }

  /** Waits until queued work is done (reads in flight finish before KV closes). */
  settled(): Promise<void> {
    return this.#queue;
  }

  #scheduleRead(): Promise<void> {
    if (this.#readQueued) return this.#queue;
    this.#readQueued = true;
    return this.#enqueue(async () => {
      this.#readQueued = false;
      if (this.#closed) return;
      try {
        await this.#read();
      } catch (error) {
        if (!this.#closed) {
          logFailure(this.#deps.log, { message: "owner stream read failed", error });
        }
      }
    });
  }

  #enqueue(task: () => void | Promise<void>): Promise<void> {
    this.#queue = this.#queue.then(task);
    return this.#queue;
  }

  /**
   * Reads the log from the floor to its end, page after page, and delivers what was not seen yet
   * in chunks of at most {@link MAX_EVENTS_PER_CHUNK} (so a burst is never held in memory whole).
   */
  async #read(): Promise<void> {
    let chunk: OwnerEvent[] = [];
    const events = this.#deps.feedback.ownerEventsSince(this.owner, this.#floor, {
      batchSize: MAX_EVENTS_PER_CHUNK,
    });
    for await (const event of events) {
      if (this.#seen.has(event.id)) continue;
      this.#seen.set(event.id, event.at);
      if (event.at > this.#newest) this.#newest = event.at;
      chunk.push(event);
      if (chunk.length >= MAX_EVENTS_PER_CHUNK) {
        await this.#deliver(chunk);
        chunk = [];
      }
    }
    await this.#deliver(chunk);
    this.#advanceFloor();
    // The first read only primes: what the log held before any member joined counts as seen.
    this.#primed = true;
  }

  async #deliver(fresh: OwnerEvent[]): Promise<void> {
    if (!this.#primed || fresh.length === 0 || this.members.size === 0) return;
    const wanted = [...new Set(fresh.map((e) => e.sessionId))];
    const sessions = new Map<string, FeedbackSession | null>();
    const found = await this.#deps.feedback.getMany(wanted);
    wanted.forEach((id, i) => sessions.set(id, found[i]));
    const { publicBaseUrl } = this.#deps;
    const now = this.#deps.now();
    const texts: string[] = [];
    for (const event of fresh) {
      const session = sessions.get(event.sessionId) ?? null;
      // Defence in depth: the log is per owner, but never forward another owner's record.
      if (session && session.owner !== this.owner) continue;
      for (const message of ownerEventMessages(event, { session, publicBaseUrl, now })) {
        texts.push(JSON.stringify(message));
      }
    }
    if (texts.length === 0) return;
    for (const member of this.members) member.deliver(texts);
  }

  #advanceFloor(): void {
    const floor = Math.min(this.#newest, this.#deps.now()) - REREAD_WINDOW_MS;
    if (floor <= this.#floor) return;
    this.#floor = floor;
    for (const [id, at] of this.#seen) if (at < floor) this.#seen.delete(id);
  }
}

/** The owner channels of one instance. */
export class OwnerStreams {
  #channels = new Map<string, OwnerChannel>();
  readonly #deps: OwnerStreamsDeps;

  constructor(deps: OwnerStreamsDeps) {
    this.#deps = deps;
  }

  /**
   * Adds a member to the owner's channel once it is primed (its `admit` runs at that moment).
   * Resolves to the function that leaves, or null when the member was not added.
   */
  async join(owner: string, member: OwnerMember): Promise<(() => void) | null> {
    let channel = this.#channels.get(owner);
    if (!channel) {
      channel = new OwnerChannel(owner, this.#deps);
      this.#channels.set(owner, channel);
    }
    const joined = channel;
    joined.joining++;
    const added = await joined.join(member).finally(() => joined.joining--);
    const leave = () => {
      joined.members.delete(member);
      if (joined.members.size > 0 || joined.joining > 0) return;
      if (this.#channels.get(owner) !== joined) return;
      this.#channels.delete(owner);
      joined.close();
    };
    if (!added) {
      leave();
      return null;
    }
    return leave;
  }

  /** Current counts. */
  stats(): OwnerStreamsStats {
    let members = 0;
    for (const channel of this.#channels.values()) members += channel.members.size;
    return { channels: this.#channels.size, members };
  }
}
