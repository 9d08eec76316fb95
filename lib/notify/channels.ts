/**
 * Notification channels: what an owner may configure (validated with zod at the REST edge), how
 * it is stored, and how it is shown back. Four kinds:
 * - `webhook`: a generic endpoint, signed the Standard Webhooks way with a secret the service
 *   generates when the channel is added (shown once); gets every event, never coalesced;
 * - `ntfy`: a topic URL (`https://ntfy.sh/mytopic`), with a priority and an optional access token;
 * - `slack`, `discord`: incoming-webhook URLs, a short message with the link.
 * The last three are read by a human, so their messages are coalesced (see `sweep.ts`).
 * @module
 */
import { z } from "zod";
import { EVENT_TYPES, type EventType } from "./events.ts";
import { BlockedUrlError, checkUrl, type GuardOptions } from "./guard.ts";

/** Kinds of channel. */
export const CHANNEL_TYPES = ["webhook", "ntfy", "slack", "discord"] as const;
/** One of {@link CHANNEL_TYPES}. */
export type ChannelType = typeof CHANNEL_TYPES[number];

/** Channels one owner may have. */
export const MAX_CHANNELS = 10;

/** Whether a kind of channel is read by a human (so its messages are coalesced). */
export function isHumanFacing(type: ChannelType): boolean {
  return type !== "webhook";
}

/** A channel as stored in KV, secrets included. */
export interface StoredChannel {
  id: string;
  type: ChannelType;
  url: string;
  name?: string;
  /** Events sent to this channel. */
  events: EventType[];
  /** ntfy: 1 (min) to 5 (max). */
  priority?: number;
  /** ntfy: an access token for a protected topic (`Authorization: Bearer`). Never shown back. */
  token?: string;
  /** webhook: the signing secret (`whsec_…`). Shown once, when the channel is added. */
  secret?: string;
  createdAt: number;
}

/** An owner's channels and preferences, one KV value. */
export interface ChannelSettings {
  /** Send the answer's text with `session.answered` (default false). */
  includeAnswer: boolean;
  channels: StoredChannel[];
}

/** What the settings are when an owner never saved any. */
export const EMPTY_SETTINGS: ChannelSettings = { includeAnswer: false, channels: [] };

/** The last delivery outcome of one channel. */
export interface ChannelStatus {
  lastSuccess?: { at: number; httpStatus: number };
  lastFailure?: {
    at: number;
    httpStatus: number | null;
    error: string;
    /** The delivery was given up: retries ran out, or the receiver is gone or refused. */
    gaveUp: boolean;
  };
}

const channelInput = z.object({
  id: z.uuid().optional().describe(
    "An existing channel's id keeps that channel (and its webhook secret); absent adds a channel.",
  ),
  type: z.enum(CHANNEL_TYPES),
  url: z.string().trim().min(1).max(2048).describe(
    "webhook: the endpoint; ntfy: the topic URL; slack, discord: the incoming-webhook URL. https only.",
  ),
  name: z.string().trim().min(1).max(80).optional().describe("A label for you."),
  events: z.array(z.enum(EVENT_TYPES)).min(1).max(EVENT_TYPES.length).optional().describe(
    "Events to send (default all four).",
  ),
  priority: z.number().int().min(1).max(5).optional().describe("ntfy: 1 (min) to 5 (max)."),
  token: z.string().min(1).max(200).optional().describe(
    "ntfy: an access token for a protected topic; kept when omitted for an existing channel, never shown back.",
  ),
});

/** The body of `PUT /api/notify/channels`: the owner's whole set of channels. */
export const channelsInputSchema = z.object({
  includeAnswer: z.boolean().default(false).describe(
    "Send the answer's text with `session.answered` events (default false).",
  ),
  channels: z.array(channelInput).max(MAX_CHANNELS),
});

/** A validated `PUT /api/notify/channels` body. */
export type ChannelsInput = z.output<typeof channelsInputSchema>;

/** The body of `POST /api/notify/channels/test`. */
export const channelTestInputSchema = z.object({
  channelId: z.uuid().describe("The channel to send a test message to."),
});

/** A channel as the API shows it: no secret, no token. */
export const channelViewSchema = z.object({
  id: z.uuid(),
  type: z.enum(CHANNEL_TYPES),
  url: z.string(),
  name: z.string().optional(),
  events: z.array(z.enum(EVENT_TYPES)),
  priority: z.number().int().optional(),
  hasToken: z.boolean().optional().describe("ntfy: whether an access token is set."),
  secret: z.string().optional().describe(
    "webhook: the signing secret, only in the answer of the PUT that added the channel.",
  ),
  createdAt: z.iso.datetime(),
  status: z.object({
    lastSuccess: z.object({ at: z.iso.datetime(), httpStatus: z.number().int() }).nullable(),
    lastFailure: z.object({
      at: z.iso.datetime(),
      httpStatus: z.number().int().nullable(),
      error: z.string(),
      gaveUp: z.boolean(),
    }).nullable(),
  }).describe("The last delivery outcomes."),
}).strict();

/** `data` of `GET/PUT /api/notify/channels`. */
export const channelsViewSchema = z.object({
  includeAnswer: z.boolean(),
  channels: z.array(channelViewSchema),
}).strict();

/** `data` of `POST /api/notify/channels/test`. */
export const channelTestViewSchema = z.object({
  channelId: z.uuid(),
  delivered: z.boolean(),
  httpStatus: z.number().int().nullable(),
  error: z.string().optional(),
}).strict();

/** A channel with its status, as the API shows it. */
export type ChannelView = z.output<typeof channelViewSchema>;

const iso = (ms: number) => new Date(ms).toISOString();

/** The API's view of a stored channel; `showSecret` only in the answer that created it. */
export function channelView(
  channel: StoredChannel,
  status: ChannelStatus | null,
  showSecret = false,
): ChannelView {
  return {
    id: channel.id,
    type: channel.type,
    url: channel.url,
    ...(channel.name ? { name: channel.name } : {}),
    events: channel.events,
    ...(channel.priority !== undefined ? { priority: channel.priority } : {}),
    ...(channel.type === "ntfy" ? { hasToken: Boolean(channel.token) } : {}),
    ...(showSecret && channel.secret ? { secret: channel.secret } : {}),
    createdAt: iso(channel.createdAt),
    status: {
      lastSuccess: status?.lastSuccess
        ? { at: iso(status.lastSuccess.at), httpStatus: status.lastSuccess.httpStatus }
        : null,
      lastFailure: status?.lastFailure
        ? { ...status.lastFailure, at: iso(status.lastFailure.at) }
        : null,
    },
  };
}

/**
 * The URL problems that need no DNS, as a reason for `channels[i].url`, or null: checked when
 * the owner saves, so an obvious mistake is a 400 then rather than a failed delivery later.
 */
export function urlProblem(url: string, guard: GuardOptions): string | null {
  try {
    checkUrl(url, guard);
    return null;
  } catch (error) {
    if (error instanceof BlockedUrlError) return error.message;
    throw error;
  }
}
