/**
 * The owner's questions as the inbox lists them: pending ones (newest first) and the recent
 * history (answered, expired, withdrawn), each with its message rendered as on the feedback page
 * and its images (the question's, the answer's) at the addresses the feedback page uses.
 * @module
 */
import type { FeedbackSession } from "../../lib/feedback/model.ts";
import { agentLabel } from "../../lib/inbox/label.ts";
import type { MarkdownCache } from "../../lib/markdown.ts";
import { pageImagesOf } from "../../lib/feedback/linked_images.ts";
import type { Services } from "../../lib/services.ts";
import type { InboxItem } from "../../islands/inbox/InboxApp.tsx";

/** Pending questions listed at most (the pending cap per owner is 200 by default). */
export const MAX_PENDING_ITEMS = 200;
/** Finished questions listed at most. */
export const MAX_HISTORY_ITEMS = 50;

/** One session as an inbox item. */
export function inboxItem(session: FeedbackSession, markdown: MarkdownCache): InboxItem {
  return {
    id: session.id,
    title: session.title,
    label: agentLabel(session.metadata),
    messageHtml: markdown.render(session.id, session.message),
    images: pageImagesOf(session.id, session.images),
    status: session.status,
    createdAt: session.createdAt,
    expiresAt: session.expiresAt,
    endedAt: session.submittedAt ?? session.cancelledAt ?? session.expiredAt ??
      (session.status === "expired" ? session.expiresAt : null),
    viewed: session.viewedAt !== undefined,
    options: session.predefinedOptions,
    multiSelect: session.multiSelect,
    allowFreeText: session.allowFreeText,
    answer: session.status === "completed" && session.feedback
      ? {
        selectedOptions: session.feedback.selectedOptions,
        freeText: session.feedback.freeText.trim(),
        images: pageImagesOf(session.id, session.feedback.images),
      }
      : null,
  };
}

/** The owner's pending questions and recent history, one list (the island splits it). */
export async function inboxItems(
  services: Services,
  options: { owner: string; markdown: MarkdownCache },
): Promise<InboxItem[]> {
  const { owner, markdown } = options;
  const [pending, recent] = await Promise.all([
    services.feedback.list(owner, { status: "pending", limit: MAX_PENDING_ITEMS }),
    services.feedback.list(owner, { limit: MAX_HISTORY_ITEMS }),
  ]);
  const seen = new Set<string>();
  const items: InboxItem[] = [];
  for (const session of [...pending.items, ...recent.items]) {
    if (seen.has(session.id)) continue;
    seen.add(session.id);
    items.push(inboxItem(session, markdown));
  }
  return items;
}
