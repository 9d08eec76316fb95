/**
 * Notification use cases for the transports: an owner reads and replaces their channels, and
 * sends a test message; the instance runs the delivery sweep (`sweep.ts`). Throws the errors of
 * `lib/errors.ts`; knows nothing of HTTP routes.
 * @module
 */
import type { NotifyConfig } from "../config.ts";
import { ValidationError } from "../errors.ts";
import { parseOrThrow } from "../feedback/model.ts";
import {
  type ChannelSettings,
  channelsInputSchema,
  type ChannelStatus,
  channelTestInputSchema,
  type ChannelView,
  channelView,
  EMPTY_SETTINGS,
  type StoredChannel,
  urlProblem,
} from "./channels.ts";
import { EVENT_TYPES } from "./events.ts";
import type { GuardOptions } from "./guard.ts";
import { buildTestMessage } from "./messages.ts";
import { NotifyStore } from "./outbox.ts";
import { postJson } from "./post.ts";
import { generateSecret } from "./signature.ts";
import { NotifySweeper, type NotifySweeperDeps } from "./sweep.ts";

/** An owner's settings as the API shows them. */
export interface SettingsView {
  includeAnswer: boolean;
  channels: ChannelView[];
}

/** What a test message did. */
export interface TestOutcome {
  channelId: string;
  delivered: boolean;
  httpStatus: number | null;
  error?: string;
}

/** Compare-and-set retries of a settings write. */
const MAX_CAS_ATTEMPTS = 10;

/** Channels and their delivery: one per instance. */
export class NotifyService {
  readonly sweeper: NotifySweeper;
  readonly #store: NotifyStore;
  readonly #config: NotifyConfig;
  readonly #deps: NotifySweeperDeps;
  readonly #now: () => number;

  constructor(deps: NotifySweeperDeps) {
    this.#deps = deps;
    this.#config = deps.config;
    this.#store = new NotifyStore(deps.kv);
    this.#now = deps.now ?? Date.now;
    this.sweeper = new NotifySweeper(deps);
  }

  get #guard(): GuardOptions {
    return { allowPrivate: this.#config.allowPrivate, resolve: this.#deps.resolve };
  }

  /** `owner`'s channels with their delivery status. */
  async settings(owner: string): Promise<SettingsView> {
    const settings = (await this.#store.settings(owner))?.value ?? EMPTY_SETTINGS;
    return await this.#view(owner, settings, new Set());
  }

  /**
   * Replaces `owner`'s channels with `input` (the whole set). An entry with the `id` of an
   * existing channel keeps it (its webhook secret, and its ntfy token unless a new one is given);
   * an entry without adds a channel, and a new webhook gets a secret, shown in this answer only.
   */
  async replace(owner: string, input: unknown): Promise<SettingsView> {
    const data = parseOrThrow(channelsInputSchema, input);
    data.channels.forEach((channel, i) => {
      const problem = urlProblem(channel.url, this.#guard);
      if (problem) throw ValidationError.of(`channels[${i}].url`, problem);
    });
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const current = await this.#store.settings(owner);
      const existing = new Map((current?.value ?? EMPTY_SETTINGS).channels.map((c) => [c.id, c]));
      const added = new Set<string>();
      const now = this.#now();
      const channels = data.channels.map((entry, i): StoredChannel => {
        const before = entry.id ? existing.get(entry.id) : undefined;
        if (entry.id && !before) {
          throw ValidationError.of(`channels[${i}].id`, "is not one of your channels");
        }
        if (before && before.type !== entry.type) {
          throw ValidationError.of(`channels[${i}].type`, "cannot change; add a new channel");
        }
        const id = before?.id ?? crypto.randomUUID();
        if (!before) added.add(id);
        const token = entry.type === "ntfy" ? entry.token ?? before?.token : undefined;
        const secret = entry.type === "webhook" ? before?.secret ?? generateSecret() : undefined;
        return {
          id,
          type: entry.type,
          url: entry.url,
          ...(entry.name ? { name: entry.name } : {}),
          events: entry.events ? [...new Set(entry.events)] : [...EVENT_TYPES],
          ...(entry.type === "ntfy" && entry.priority !== undefined
            ? { priority: entry.priority }
            : {}),
          ...(token ? { token } : {}),
          ...(secret ? { secret } : {}),
          createdAt: before?.createdAt ?? now,
        };
      });
      const ids = channels.map((c) => c.id);
      if (new Set(ids).size !== ids.length) {
        throw ValidationError.of("channels", "names one channel id twice");
      }
      const removed = [...existing.keys()].filter((id) => !ids.includes(id));
      const settings: ChannelSettings = { includeAnswer: data.includeAnswer, channels };
      if (
        await this.#store.saveSettings(owner, settings, current?.versionstamp ?? null, removed)
      ) {
        return await this.#view(owner, settings, added);
      }
    }
    throw new Error("too much write contention on one owner's channels");
  }

  /**
   * Sends a test message to one of `owner`'s channels now (bounded by the delivery timeout, no
   * retries) and records the outcome in its status.
   */
  async test(owner: string, input: unknown): Promise<TestOutcome> {
    const { channelId } = parseOrThrow(channelTestInputSchema, input);
    const settings = (await this.#store.settings(owner))?.value ?? EMPTY_SETTINGS;
    const channel = settings.channels.find((c) => c.id === channelId);
    if (!channel) throw ValidationError.of("channelId", "is not one of your channels");
    const now = this.#now();
    const message = await buildTestMessage(channel, {
      publicBaseUrl: this.#deps.publicBaseUrl,
      now,
      messageId: `msg_test_${crypto.randomUUID()}`,
    });
    const outcome = await postJson(message.url, {
      body: message.body,
      headers: message.headers,
      timeoutMs: this.#config.timeoutMs,
      guard: this.#guard,
    });
    const delivered = outcome.status !== null && outcome.status >= 200 && outcome.status < 300;
    const at = this.#now();
    await this.#store.recordStatus(
      owner,
      channel.id,
      (previous): ChannelStatus =>
        delivered ? { ...previous, lastSuccess: { at, httpStatus: outcome.status! } } : {
          ...previous,
          lastFailure: {
            at,
            httpStatus: outcome.status,
            error: outcome.error ?? "failed",
            gaveUp: true,
          },
        },
    );
    return {
      channelId,
      delivered,
      httpStatus: outcome.status,
      ...(outcome.error ? { error: outcome.error } : {}),
    };
  }

  /** Starts this instance's delivery sweep. */
  startSweep(): void {
    this.sweeper.startSweep();
  }

  /** Stops the sweep; deliveries in flight end and are left due for the next instance. */
  async close(): Promise<void> {
    await this.sweeper.close();
  }

  async #view(owner: string, settings: ChannelSettings, added: Set<string>): Promise<SettingsView> {
    const statuses = await this.#store.statuses(owner, settings.channels.map((c) => c.id));
    return {
      includeAnswer: settings.includeAnswer,
      channels: settings.channels.map((c, i) => channelView(c, statuses[i], added.has(c.id))),
    };
  }
}
