/**
 * Where notifications live in KV, and the atomic writes that move them along. Three stages:
 *
 * 1. **Outbox** (`["notify","outbox",eventId]`): one entry per event, set by the feedback store
 *    in the same atomic commit as the session change it reports, so no acknowledged change can
 *    lose its event (a crash before the commit loses both; after it, neither).
 * 2. **Fan-out**: a sweep turns an outbox entry into one delivery job per channel, in one commit
 *    that checks and deletes the entry, so exactly one instance fans each event out.
 * 3. **Jobs** (`["notify","jobs",dueAt,jobId]`, ordered by when they are due): a sweep claims a
 *    due job by moving it to `now + lease` in a compare-and-set (the loser of a race sees its
 *    commit fail and skips it), delivers, then deletes it (success, given up) or moves it to its
 *    next retry time. A crash mid-delivery leaves the job claimed; once the lease passes it is due
 *    again and any instance delivers it.
 *
 * Human-facing channels are coalesced through a digest: the channel's open job (pointed to by
 * `["notify","digest",owner,channelId]`) collects events until it is claimed; the claim closes
 * it and opens the channel's window (`["notify","window",…]`), before whose end the next digest
 * is not due.
 * @module
 */
import type { ChannelSettings, ChannelStatus } from "./channels.ts";
import type { NotifyEvent } from "./events.ts";

/** Every notify key starts here. */
export const notifyPrefix: Deno.KvKey = ["notify"];
/** An event awaiting fan-out. */
export const outboxKey = (eventId: string): Deno.KvKey => ["notify", "outbox", eventId];
/** Prefix of the outbox. */
export const outboxPrefix: Deno.KvKey = ["notify", "outbox"];
/** A delivery job, by when it is next due. */
export const jobKey = (dueAt: number, jobId: string): Deno.KvKey => [
  "notify",
  "jobs",
  dueAt,
  jobId,
];
/** Prefix of the job queue. */
export const jobPrefix: Deno.KvKey = ["notify", "jobs"];
/** An owner's channel settings. */
export const settingsKey = (owner: string): Deno.KvKey => ["notify", "channels", owner];
/** One channel's last delivery outcomes. */
export const statusKey = (owner: string, channelId: string): Deno.KvKey => [
  "notify",
  "status",
  owner,
  channelId,
];
/** A human-facing channel's open digest: the key of the job collecting its events. */
export const digestKey = (owner: string, channelId: string): Deno.KvKey => [
  "notify",
  "digest",
  owner,
  channelId,
];
/** A human-facing channel's coalescing window: no digest is due before its end. */
export const windowKey = (owner: string, channelId: string): Deno.KvKey => [
  "notify",
  "window",
  owner,
  channelId,
];
/** A device's Web Push subscription; `deviceId` is the id of its inbox session. */
export const pushDeviceKey = (owner: string, deviceId: string): Deno.KvKey => [
  "notify",
  "push",
  owner,
  deviceId,
];
/** Prefix of an owner's push subscriptions. */
export const pushDevicePrefix = (owner: string): Deno.KvKey => ["notify", "push", owner];
/** Which device holds a push endpoint (by the endpoint's SHA-256), so one endpoint is stored once. */
export const pushEndpointKey = (endpointHash: string): Deno.KvKey => [
  "notify",
  "push_endpoint",
  endpointHash,
];
/** A question was pushed to a device (so its answer closes the notification there). */
export const pushShownKey = (owner: string, deviceId: string, sessionId: string): Deno.KvKey => [
  "notify",
  "push_shown",
  owner,
  deviceId,
  sessionId,
];

/** How long an event waits in the outbox for a sweep before KV drops it. */
export const OUTBOX_TTL_MS = 24 * 60 * 60 * 1000;
/** How long a job may exist at all (the retry schedule ends long before). */
export const JOB_TTL_MS = 2 * 24 * 60 * 60 * 1000;
/** Events a digest keeps in full; it still counts the rest. */
export const MAX_DIGEST_EVENTS = 20;

/** The channel id of the operator's deployment-wide webhook (owner field: {@link OPERATOR}). */
export const OPERATOR_CHANNEL = "operator";
/** The owner field of the operator's jobs; no token subject can be empty. */
export const OPERATOR = "";

/** One delivery to one channel: an event, or a digest of several. */
export interface Job {
  id: string;
  owner: string;
  channelId: string;
  /** The `webhook-id`: the same on every retry, so receivers can drop duplicates. */
  messageId: string;
  events: NotifyEvent[];
  /** Events coalesced into this job (at least `events.length`). */
  total: number;
  /** Attempts made so far. */
  attempt: number;
  /** A human-facing channel's digest (its claim closes the digest and opens a window). */
  digest: boolean;
}

/** An entry read with its key and versionstamp, for compare-and-set. */
export interface Versioned<T> {
  key: Deno.KvKey;
  value: T;
  versionstamp: string;
}

/** A digest pointer's value. */
interface DigestPointer {
  jobKey: Deno.KvKey;
}

/** KV access for notifications. Holds no state besides the KV handle. */
export class NotifyStore {
  constructor(readonly kv: Deno.Kv) {}

  /** An owner's settings (empty when never saved). */
  async settings(owner: string): Promise<Versioned<ChannelSettings> | null> {
    const entry = await this.kv.get<ChannelSettings>(settingsKey(owner));
    return entry.versionstamp ? entry as Versioned<ChannelSettings> : null;
  }

  /** Replaces an owner's settings if unchanged since read (null: never saved); false if not. */
  async saveSettings(
    owner: string,
    settings: ChannelSettings,
    versionstamp: string | null,
    removed: string[],
  ): Promise<boolean> {
    const op = this.kv.atomic().check({ key: settingsKey(owner), versionstamp })
      .set(settingsKey(owner), settings);
    for (const id of removed) {
      op.delete(statusKey(owner, id)).delete(digestKey(owner, id)).delete(windowKey(owner, id));
    }
    return (await op.commit()).ok;
  }

  /** Last outcomes of the given channels, in order. */
  async statuses(owner: string, ids: string[]): Promise<(ChannelStatus | null)[]> {
    const out: (ChannelStatus | null)[] = [];
    for (let i = 0; i < ids.length; i += 10) {
      const entries = await this.kv.getMany<ChannelStatus[]>(
        ids.slice(i, i + 10).map((id) => statusKey(owner, id)),
      );
      out.push(...entries.map((e) => e.value));
    }
    return out;
  }

  /** Records one delivery outcome (last writer wins: it is a display, not a ledger). */
  async recordStatus(
    owner: string,
    channelId: string,
    update: (previous: ChannelStatus) => ChannelStatus,
  ): Promise<void> {
    const key = statusKey(owner, channelId);
    const previous = (await this.kv.get<ChannelStatus>(key)).value ?? {};
    await this.kv.set(key, update(previous));
  }

  /** The oldest events awaiting fan-out. */
  async pendingEvents(limit: number): Promise<Versioned<NotifyEvent>[]> {
    const out: Versioned<NotifyEvent>[] = [];
    for await (const entry of this.kv.list<NotifyEvent>({ prefix: outboxPrefix }, { limit })) {
      out.push(entry);
    }
    return out;
  }

  /** Jobs due at or before `now`, soonest first. */
  async dueJobs(now: number, limit: number): Promise<Versioned<Job>[]> {
    const out: Versioned<Job>[] = [];
    const iter = this.kv.list<Job>({ start: jobPrefix, end: [...jobPrefix, now + 1] }, { limit });
    for await (const entry of iter) out.push(entry);
    return out;
  }

  /** Every job, due or not (tests and diagnostics). */
  async allJobs(): Promise<Versioned<Job>[]> {
    return await Array.fromAsync(this.kv.list<Job>({ prefix: jobPrefix }));
  }

  /**
   * Fans `event` out in one commit: the outbox entry is checked and deleted, each direct job
   * written, and each digest event appended to its channel's open digest (or a new digest opened,
   * due at `digestDueAt(channelId)`). False when anything moved since it was read: read again.
   */
  async fanOut(
    event: Versioned<NotifyEvent>,
    plan: { direct: Job[]; digests: { owner: string; channelId: string; dueAt: number }[] },
    now: number,
  ): Promise<boolean> {
    const op = this.kv.atomic().check(event).delete(event.key);
    for (const job of plan.direct) op.set(jobKey(now, job.id), job, { expireIn: JOB_TTL_MS });
    for (const digest of plan.digests) {
      const pointerKey = digestKey(digest.owner, digest.channelId);
      const pointer = await this.kv.get<DigestPointer>(pointerKey);
      const open = pointer.value ? await this.kv.get<Job>(pointer.value.jobKey) : null;
      op.check({ key: pointerKey, versionstamp: pointer.versionstamp });
      if (open?.value && open.versionstamp) {
        op.check({ key: open.key, versionstamp: open.versionstamp });
        const job = open.value;
        const events = job.events.length < MAX_DIGEST_EVENTS
          ? [...job.events, event.value]
          : job.events;
        op.set(open.key, { ...job, events, total: job.total + 1 }, { expireIn: JOB_TTL_MS });
      } else {
        const id = crypto.randomUUID();
        const key = jobKey(digest.dueAt, id);
        const job: Job = {
          id,
          owner: digest.owner,
          channelId: digest.channelId,
          messageId: `msg_${event.value.id}`,
          events: [event.value],
          total: 1,
          attempt: 0,
          digest: true,
        };
        op.set(key, job, { expireIn: JOB_TTL_MS })
          .set(pointerKey, { jobKey: key } satisfies DigestPointer, { expireIn: JOB_TTL_MS });
      }
    }
    return (await op.commit()).ok;
  }

  /** When a human-facing channel's window ends (0 when none is open). */
  async windowEnd(owner: string, channelId: string): Promise<number> {
    return (await this.kv.get<number>(windowKey(owner, channelId))).value ?? 0;
  }

  /**
   * Claims a due job: moves it to `leaseUntil` if it is still where it was read. A digest's claim
   * also closes the digest and opens the channel's window until `windowUntil`. Null when another
   * instance claimed it first.
   */
  async claim(
    job: Versioned<Job>,
    options: { leaseUntil: number; windowUntil?: number; now: number },
  ): Promise<Versioned<Job> | null> {
    const claimed = jobKey(options.leaseUntil, job.value.id);
    const value: Job = { ...job.value, attempt: job.value.attempt + 1 };
    const op = this.kv.atomic().check(job).delete(job.key).set(claimed, value, {
      expireIn: JOB_TTL_MS,
    });
    if (job.value.digest) {
      const pointerKey = digestKey(job.value.owner, job.value.channelId);
      const pointer = await this.kv.get<DigestPointer>(pointerKey);
      if (pointer.value && keysEqual(pointer.value.jobKey, job.key)) {
        op.check(pointer).delete(pointerKey);
      }
      if (options.windowUntil !== undefined && options.windowUntil > options.now) {
        op.set(windowKey(job.value.owner, job.value.channelId), options.windowUntil, {
          expireIn: options.windowUntil - options.now,
        });
      }
    }
    const result = await op.commit();
    return result.ok ? { key: claimed, value, versionstamp: result.versionstamp } : null;
  }

  /** Drops a claimed job (delivered, or given up); false if it is no longer ours. */
  async finish(job: Versioned<Job>): Promise<boolean> {
    return (await this.kv.atomic().check(job).delete(job.key).commit()).ok;
  }

  /** Moves a claimed job to `dueAt` (its next retry, or now on shutdown); false if not ours. */
  async reschedule(job: Versioned<Job>, dueAt: number, attempt: number): Promise<boolean> {
    return (await this.kv.atomic().check(job).delete(job.key)
      .set(jobKey(dueAt, job.value.id), { ...job.value, attempt }, { expireIn: JOB_TTL_MS })
      .commit()).ok;
  }
}

function keysEqual(a: Deno.KvKey, b: Deno.KvKey): boolean {
  return a.length === b.length && a.every((part, i) => part === b[i]);
}
