/**
 * What each kind of channel is sent for a job: the signed Standard Webhooks payload for a
 * webhook, and for the human-facing kinds (ntfy, Slack, Discord) one short message: the event and
 * its link, or for a digest a summary ("3 new questions, 1 answered") with the newest link.
 * @module
 */
import { feedbackUrlOf } from "../links.ts";
import type { StoredChannel } from "./channels.ts";
import type { EventType, NotifyEvent } from "./events.ts";
import { webhookPayload } from "./events.ts";
import type { Job } from "./outbox.ts";
import { signatureHeaders } from "./signature.ts";

/** One HTTP POST to make. */
export interface Outgoing {
  url: string;
  body: string;
  headers: Record<string, string>;
}

/** What a message needs besides the job. */
export interface MessageContext {
  publicBaseUrl: string;
  /** Epoch ms of this attempt: the `webhook-timestamp`. */
  now: number;
  /** The operator's webhook, whose payloads name the owner. */
  operator?: boolean;
}

const VERBS: Record<EventType, string> = {
  "session.created": "New question",
  "session.answered": "Answered",
  "session.expired": "Expired unanswered",
  "session.cancelled": "Withdrawn",
};

const PLURALS: Record<EventType, [string, string]> = {
  "session.created": ["new question", "new questions"],
  "session.answered": ["answered", "answered"],
  "session.expired": ["expired", "expired"],
  "session.cancelled": ["withdrawn", "withdrawn"],
};

/** A human-readable summary of a job: a headline, lines of titles, and the link to open. */
export function summarize(
  job: Pick<Job, "events" | "total">,
  publicBaseUrl: string,
): { headline: string; lines: string[]; link: string } {
  const events = job.events;
  const newest = [...events].reverse().find((e) => e.type === "session.created") ??
    events[events.length - 1];
  const link = feedbackUrlOf(publicBaseUrl, newest.sessionId);
  if (job.total === 1) {
    return { headline: VERBS[events[0].type], lines: [events[0].title], link };
  }
  const counts = new Map<EventType, number>();
  for (const event of events) counts.set(event.type, (counts.get(event.type) ?? 0) + 1);
  const uncounted = job.total - events.length;
  const parts = [...counts].map(([type, n]) => `${n} ${PLURALS[type][n === 1 ? 0 : 1]}`);
  if (uncounted > 0) parts.push(`${uncounted} more`);
  const lines = events.slice(-5).reverse().map((e) => `${VERBS[e.type]}: ${e.title}`);
  return { headline: parts.join(", "), lines, link };
}

/** Slack's mrkdwn needs `&`, `<` and `>` escaped; nothing else in text is special to it. */
function slackEscape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Discord markdown: escape what would format, so a title cannot style or link the message. */
function discordEscape(text: string): string {
  return text.replace(/([\\*_~`|>#\[\]()<@:-])/g, "\\$1");
}

/** The topic URL's server root and topic (`https://ntfy.sh/mytopic` → root + `mytopic`). */
function ntfyTarget(topicUrl: string): { root: string; topic: string } {
  const url = new URL(topicUrl);
  const parts = url.pathname.split("/").filter(Boolean);
  const topic = parts.pop() ?? "";
  url.pathname = `/${parts.join("/")}`;
  url.search = "";
  return { root: url.href, topic };
}

/** The POST for `job` on `channel`. */
export async function buildMessage(
  job: Job,
  channel: StoredChannel,
  context: MessageContext,
): Promise<Outgoing> {
  if (channel.type === "webhook") {
    // A webhook job carries one event: receivers see every event, never a digest.
    const event: NotifyEvent = job.events[0];
    const body = webhookPayload(event, {
      feedbackUrl: feedbackUrlOf(context.publicBaseUrl, event.sessionId),
      includeOwner: context.operator,
    });
    const headers = channel.secret
      ? await signatureHeaders(channel.secret, {
        id: job.messageId,
        timestampSeconds: Math.floor(context.now / 1000),
        body,
      })
      : { "webhook-id": job.messageId };
    return { url: channel.url, body, headers };
  }
  return humanMessage(channel, summarize(job, context.publicBaseUrl));
}

/** The ntfy, Slack or Discord POST that shows `text`. */
function humanMessage(
  channel: StoredChannel,
  text: { headline: string; lines: string[]; link: string },
): Outgoing {
  const { headline, lines, link } = text;
  switch (channel.type) {
    case "ntfy": {
      const { root, topic } = ntfyTarget(channel.url);
      return {
        url: root,
        body: JSON.stringify({
          topic,
          title: headline,
          message: lines.join("\n"),
          click: link,
          priority: channel.priority ?? 4,
          tags: ["question"],
        }),
        headers: channel.token ? { authorization: `Bearer ${channel.token}` } : {},
      };
    }
    case "slack":
      return {
        url: channel.url,
        body: JSON.stringify({
          text: `*${slackEscape(headline)}*\n${lines.map(slackEscape).join("\n")}\n<${link}|Open>`,
          unfurl_links: false,
        }),
        headers: {},
      };
    default:
      return {
        url: channel.url,
        body: JSON.stringify({
          content: `**${discordEscape(headline)}**\n${
            lines.map(discordEscape).join("\n")
          }\n<${link}>`
            .slice(0, 2000),
          // A title is the agent's text: it must not ping anyone.
          allowed_mentions: { parse: [] },
        }),
        headers: {},
      };
  }
}

/** A test message for `channel` (`POST /api/notify/channels/test`): says so, links the service. */
export async function buildTestMessage(
  channel: StoredChannel,
  context: MessageContext & { messageId: string },
): Promise<Outgoing> {
  if (channel.type === "webhook") {
    const body = JSON.stringify({
      type: "notify.test",
      timestamp: new Date(context.now).toISOString(),
      data: { channelId: channel.id, message: "A test notification: this channel works." },
    });
    const headers = channel.secret
      ? await signatureHeaders(channel.secret, {
        id: context.messageId,
        timestampSeconds: Math.floor(context.now / 1000),
        body,
      })
      : { "webhook-id": context.messageId };
    return { url: channel.url, body, headers };
  }
  return humanMessage(channel, {
    headline: "Test notification",
    lines: ["This channel works."],
    link: context.publicBaseUrl,
  });
}
