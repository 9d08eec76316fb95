/**
 * "5 min ago" in the page's language: the same function on the server and in the browser, so a
 * hydrated page shows the text it was rendered with.
 * @module
 */
import { format } from "../../lib/i18n.ts";

/** The strings {@link timeAgo} uses. */
export interface TimeAgoMessages {
  inboxAgoNow: string;
  inboxAgoMinutes: string;
  inboxAgoHours: string;
  inboxAgoDays: string;
}

/** How long ago `then` was, seen from `now` (both epoch ms). */
export function timeAgo(then: number, now: number, t: TimeAgoMessages): string {
  const minutes = Math.floor(Math.max(0, now - then) / 60_000);
  if (minutes < 1) return t.inboxAgoNow;
  if (minutes < 60) return format(t.inboxAgoMinutes, { n: minutes });
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return format(t.inboxAgoHours, { n: hours });
  return format(t.inboxAgoDays, { n: Math.floor(hours / 24) });
}
