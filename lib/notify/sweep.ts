/**
 * Delivering notifications off the request path, without KV queues (the current Deno Deploy has
 * none): a periodic sweep, like the expiry sweep, on every instance. Each sweep
 * 1. fans out the outbox's events into jobs (one commit per event: exactly one instance does it);
 * 2. claims due jobs by compare-and-set with a lease (exactly one instance delivers each) and
 *    delivers them in the background, at most {@link MAX_IN_FLIGHT} at once, so a receiver that
 *    hangs holds one slot for one timeout and nothing else;
 * 3. on failure moves the job to its next retry (the configured schedule, 1 s, 5 s, 30 s, 2 min,
 *    10 min by default), then gives it up and records that in the channel's status. A receiver
 *    that says it is gone (404, 410), refuses the request (other 4xx) or that the SSRF guard
 *    refuses is given up at once: retrying cannot help.
 *
 * Delivery is at least once: a crash after the receiver answered and before the job was dropped
 * sends it again after the lease, with the same `webhook-id` for the receiver to recognise.
 * @module
 */
import type { NotifyConfig } from "../config.ts";
import type { Logger } from "../log.ts";
import { logFailure } from "../storage_guard.ts";
import { isHumanFacing, type StoredChannel } from "./channels.ts";
import type { EventAnswer, NotifyEvent } from "./events.ts";
import type { Resolver } from "./guard.ts";
import { buildMessage } from "./messages.ts";
import { type Job, NotifyStore, OPERATOR, OPERATOR_CHANNEL, type Versioned } from "./outbox.ts";
import { MAX_REDIRECTS, postJson, type PostOutcome } from "./post.ts";
import { pushChannelId, type PushDevice, pushDeviceOf, PushDevices } from "./push_devices.ts";
import { closeMessage, type PushMessage, showMessage } from "./push_messages.ts";
import { buildPushRequest } from "./web_push.ts";

/** Deliveries one instance runs at once. */
export const MAX_IN_FLIGHT = 16;
/** Outbox events fanned out per sweep (the next sweep takes the rest). */
const FAN_OUT_BATCH = 100;
/** Fan-out attempts of one event before the next sweep tries again. */
const FAN_OUT_ATTEMPTS = 5;
/** How long past its question's expiry a device remembers it was shown it (for the close). */
const SHOWN_MARK_EXTRA_MS = 86_400_000;

/** What the sweeper needs. */
export interface NotifySweeperDeps {
  kv: Deno.Kv;
  config: NotifyConfig;
  publicBaseUrl: string;
  /** The instance's clock (tests move it to open and close coalescing windows). */
  now?: () => number;
  log?: Logger;
  /** The answer of a session, for owners who opted in; undefined when there is none (any more). */
  readAnswer?: (sessionId: string) => Promise<EventAnswer | undefined>;
  /** DNS for the SSRF guard; `Deno.resolveDns` unless a test injects one. */
  resolve?: Resolver;
  /**
   * Which of these sessions still wait for an answer: a coalesced push leaves out questions
   * answered meanwhile. Without it every question counts as waiting.
   */
  pendingOf?: (sessionIds: string[]) => Promise<Set<string>>;
}

/** What one sweep did. */
export interface SweepReport {
  fannedOut: number;
  started: number;
}

/** The operator's webhook, as a channel. */
function operatorChannel(config: NotifyConfig): StoredChannel | null {
  if (!config.webhookUrl) return null;
  return {
    id: OPERATOR_CHANNEL,
    type: "webhook",
    url: config.webhookUrl,
    secret: config.webhookSecret,
    events: ["session.created", "session.answered", "session.expired", "session.cancelled"],
    createdAt: 0,
  };
}

/** Fans out, claims and delivers notifications; one per instance. */
export class NotifySweeper {
  readonly #store: NotifyStore;
  readonly #push: PushDevices;
  readonly #deps: NotifySweeperDeps;
  readonly #now: () => number;
  readonly #operator: StoredChannel | null;
  #inFlight = new Set<Promise<void>>();
  #abort = new AbortController();
  #handle?: ReturnType<typeof setTimeout>;
  #sweeping = false;
  #running: Promise<SweepReport> | null = null;
  #closed = false;

  constructor(deps: NotifySweeperDeps) {
    this.#deps = deps;
    this.#store = new NotifyStore(deps.kv);
    this.#push = new PushDevices(deps.kv);
    this.#now = deps.now ?? Date.now;
    this.#operator = operatorChannel(deps.config);
  }

  /**
   * How long a claim holds: every hop of one attempt at its timeout, twice over. A crashed
   * instance's job is due again after it; a live one has long finished or given up by then.
   */
  get leaseMs(): number {
    return 2 * (MAX_REDIRECTS + 1) * this.#deps.config.timeoutMs + 1000;
  }

  /** Starts the periodic sweep (idempotent). */
  startSweep(): void {
    if (this.#closed || this.#sweeping) return;
    this.#sweeping = true;
    this.#schedule(0);
  }

  /**
   * One sweep: fans out pending events and starts the due deliveries (not waiting for them; see
   * {@link idle}). Concurrent calls share one run.
   */
  sweepOnce(): Promise<SweepReport> {
    this.#running ??= this.#sweep().finally(() => this.#running = null);
    return this.#running;
  }

  /** Resolves once no delivery is in flight. */
  async idle(): Promise<void> {
    while (this.#inFlight.size) await Promise.allSettled([...this.#inFlight]);
  }

  /** Deliveries in flight on this instance. */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  /**
   * Stops the sweep and ends deliveries in flight at once; their jobs are put back as due now,
   * so the next instance (or this one restarted) sends them without waiting out the lease.
   */
  async close(): Promise<void> {
    this.#closed = true;
    this.#sweeping = false;
    clearTimeout(this.#handle);
    this.#abort.abort();
    await this.#running?.catch(() => {});
    await this.idle();
  }

  #schedule(delay: number): void {
    this.#handle = setTimeout(async () => {
      if (!this.#sweeping) return;
      try {
        await this.sweepOnce();
      } catch (error) {
        if (this.#deps.log) logFailure(this.#deps.log, { message: "notify sweep failed", error });
      }
      if (this.#sweeping) this.#schedule(this.#deps.config.sweepIntervalMs);
    }, delay);
  }

  async #sweep(): Promise<SweepReport> {
    let fannedOut = 0;
    for (const event of await this.#store.pendingEvents(FAN_OUT_BATCH)) {
      if (this.#closed) break;
      if (await this.#fanOut(event)) fannedOut++;
    }
    let started = 0;
    const free = MAX_IN_FLIGHT - this.#inFlight.size;
    if (free > 0 && !this.#closed) {
      const now = this.#now();
      for (const due of await this.#store.dueJobs(now, free)) {
        if (this.#closed) break;
        const claimed = await this.#store.claim(due, {
          now,
          leaseUntil: now + this.leaseMs,
          windowUntil: now + this.#deps.config.coalesceSeconds * 1000,
        });
        if (!claimed) continue; // another instance has it
        started++;
        this.#track(this.#deliver(claimed));
      }
    }
    return { fannedOut, started };
  }

  /** Turns one outbox event into jobs; false when it was gone (another instance took it). */
  async #fanOut(entry: Versioned<NotifyEvent>): Promise<boolean> {
    let current: Versioned<NotifyEvent> | null = entry;
    for (let attempt = 0; attempt < FAN_OUT_ATTEMPTS && current; attempt++) {
      const event = current.value;
      const now = this.#now();
      const settings = (await this.#store.settings(event.owner))?.value;
      const channels = (settings?.channels ?? []).filter((c) => c.events.includes(event.type));
      const withAnswer = settings?.includeAnswer && event.type === "session.answered" &&
          this.#deps.readAnswer
        ? { ...event, answer: await this.#deps.readAnswer(event.sessionId) }
        : event;
      const coalesce = this.#deps.config.coalesceSeconds > 0;
      const direct: Job[] = [];
      const digests: { owner: string; channelId: string; dueAt: number }[] = [];
      for (const channel of channels) {
        if (coalesce && isHumanFacing(channel.type)) {
          const windowEnd = await this.#store.windowEnd(event.owner, channel.id);
          digests.push({
            owner: event.owner,
            channelId: channel.id,
            dueAt: Math.max(now, windowEnd),
          });
        } else {
          direct.push(newJob(event.owner, channel.id, withAnswer));
        }
      }
      // Each subscribed device is a human-facing channel of its own: a new question is coalesced
      // like ntfy's; the end of one closes its notification at once (nothing buzzes for that).
      if (this.#deps.config.vapid) {
        for (const device of await this.#push.list(event.owner)) {
          const channelId = pushChannelId(device.id);
          if (coalesce && event.type === "session.created") {
            const windowEnd = await this.#store.windowEnd(event.owner, channelId);
            digests.push({ owner: event.owner, channelId, dueAt: Math.max(now, windowEnd) });
          } else {
            direct.push(newJob(event.owner, channelId, event));
          }
        }
      }
      // The operator sees every owner's events, and never an answer's text.
      if (this.#operator) direct.push(newJob(OPERATOR, OPERATOR_CHANNEL, event));
      if (await this.#store.fanOut(current, { direct, digests }, now)) return true;
      const again: Deno.KvEntryMaybe<NotifyEvent> = await this.#store.kv.get<NotifyEvent>(
        current.key,
      );
      current = again.versionstamp ? again as Versioned<NotifyEvent> : null;
    }
    return false;
  }

  async #deliver(job: Versioned<Job>): Promise<void> {
    const { owner, channelId } = job.value;
    const deviceId = pushDeviceOf(channelId);
    if (deviceId !== null && owner !== OPERATOR) return await this.#deliverPush(job, deviceId);
    const channel = owner === OPERATOR && channelId === OPERATOR_CHANNEL
      ? this.#operator
      : (await this.#store.settings(owner))?.value.channels.find((c) => c.id === channelId);
    if (!channel) {
      await this.#store.finish(job); // the owner removed the channel: nothing to deliver to
      return;
    }
    const now = this.#now();
    const message = await buildMessage(job.value, channel, {
      publicBaseUrl: this.#deps.publicBaseUrl,
      now,
      operator: channelId === OPERATOR_CHANNEL,
    });
    const outcome = await postJson(message.url, {
      body: message.body,
      headers: message.headers,
      timeoutMs: this.#deps.config.timeoutMs,
      guard: { allowPrivate: this.#deps.config.allowPrivate, resolve: this.#deps.resolve },
      trusted: channelId === OPERATOR_CHANNEL,
      signal: this.#abort.signal,
    });
    if (this.#abort.signal.aborted && outcome.status === null) {
      // Shutdown cut the attempt short: not the receiver's failure. Due again now, elsewhere.
      await this.#store.reschedule(job, this.#now(), job.value.attempt - 1);
      return;
    }
    await this.#settle(job, channel.type, outcome);
  }

  /**
   * Delivers a job to a device's push subscription: new questions that still wait (a coalesced
   * job may hold some answered meanwhile; none left, nothing is sent), or the close of one that
   * ended, sent only where its question was shown. A push service that reports the subscription
   * gone (404, 410) has it deleted.
   */
  async #deliverPush(job: Versioned<Job>, deviceId: string): Promise<void> {
    const { owner, events } = job.value;
    const vapid = this.#deps.config.vapid;
    const device = vapid ? await this.#push.get(owner, deviceId) : null;
    const message = device ? await this.#pushMessage(device, job.value) : null;
    if (!vapid || !device || !message) {
      await this.#store.finish(job); // unsubscribed, or nothing (left) to say
      return;
    }
    if (message.payload.type === "show") {
      // Before the send: a close racing this delivery must find the question shown.
      const lastExpiry = Math.max(...events.map((e) => e.expiresAt));
      const ttlMs = Math.max(0, lastExpiry - this.#now()) + SHOWN_MARK_EXTRA_MS;
      await this.#push.markShown(owner, deviceId, message.payload.sessionIds, ttlMs);
    }
    const now = this.#now();
    const request = await buildPushRequest(device, message.payload, {
      ...message.options,
      vapid,
      now,
    });
    const outcome = await postJson(request.url, {
      body: request.body,
      headers: request.headers,
      timeoutMs: this.#deps.config.timeoutMs,
      guard: { allowPrivate: this.#deps.config.allowPrivate, resolve: this.#deps.resolve },
      signal: this.#abort.signal,
    });
    if (this.#abort.signal.aborted && outcome.status === null) {
      await this.#store.reschedule(job, this.#now(), job.value.attempt - 1);
      return;
    }
    await this.#settle(job, "push", outcome);
    if (outcome.status === 404 || outcome.status === 410) {
      await this.#push.remove(owner, deviceId); // the browser unsubscribed, or it expired
    }
  }

  /** The push a job amounts to for `device`, or null when there is nothing to send. */
  async #pushMessage(device: PushDevice, job: Job): Promise<PushMessage | null> {
    const created = job.events.filter((e) => e.type === "session.created");
    if (created.length === 0) {
      const ended = job.events[0];
      const shown = await this.#push.wasShown(device.owner, device.id, ended.sessionId);
      return shown ? closeMessage(ended) : null;
    }
    const pending = this.#deps.pendingOf
      ? await this.#deps.pendingOf(created.map((e) => e.sessionId))
      : new Set(created.map((e) => e.sessionId));
    const waiting = created.filter((e) => pending.has(e.sessionId));
    if (waiting.length === 0) return null;
    return showMessage(waiting, {
      more: job.total - job.events.length,
      lang: device.lang,
      now: this.#now(),
    });
  }

  /** Drops, retries or gives up a delivered job, and records the outcome. */
  async #settle(job: Versioned<Job>, channelType: string, outcome: PostOutcome): Promise<void> {
    const at = this.#now();
    const { owner, channelId, attempt } = job.value;
    const ok = outcome.status !== null && outcome.status >= 200 && outcome.status < 300;
    const retryable = !ok && !outcome.blocked &&
      (outcome.status === null || outcome.status >= 500 || outcome.status === 408 ||
        outcome.status === 429);
    const schedule = this.#deps.config.retryScheduleMs;
    const retryIn = retryable ? schedule[attempt - 1] : undefined;
    const mine = retryIn === undefined
      ? await this.#store.finish(job)
      : await this.#store.reschedule(job, at + retryIn, attempt);
    if (!mine) return; // the lease ran out and another instance took over: its outcome counts
    await this.#store.recordStatus(
      owner,
      channelId,
      (previous) =>
        ok ? { ...previous, lastSuccess: { at, httpStatus: outcome.status! } } : {
          ...previous,
          lastFailure: {
            at,
            httpStatus: outcome.status,
            error: outcome.error ?? "failed",
            gaveUp: retryIn === undefined,
          },
        },
    );
    if (!ok && retryIn === undefined && this.#deps.log) {
      this.#deps.log.warn("notification given up", {
        channelType,
        operator: channelId === OPERATOR_CHANNEL,
        attempts: attempt,
        httpStatus: outcome.status,
        reason: outcome.error,
      });
    }
  }

  #track(work: Promise<void>): void {
    const tracked = work.catch((error) => {
      if (this.#deps.log) logFailure(this.#deps.log, { message: "notification failed", error });
    }).finally(() => this.#inFlight.delete(tracked));
    this.#inFlight.add(tracked);
  }
}

/** A direct job: one event to one channel. */
function newJob(owner: string, channelId: string, event: NotifyEvent): Job {
  return {
    id: crypto.randomUUID(),
    owner,
    channelId,
    messageId: `msg_${event.id}`,
    events: [event],
    total: 1,
    attempt: 0,
    digest: false,
  };
}
