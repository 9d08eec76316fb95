/**
 * The inbox: the owner's questions waiting for an answer (newest first) and their history, kept
 * live over the owner stream. Rendered on the server with the list (it reads without JavaScript:
 * each title links to the question's own page) and hydrated in the browser, where a question
 * opens inline with the feedback page's own form (`FeedbackApp`: the question's images, an answer
 * with images), new questions appear without a reload, answered/expired/withdrawn ones move to the
 * history (with the answer's images as thumbnails), and the count of unread questions shows in the
 * tab title and on the installed app's badge.
 * @module
 */
import { batch, useComputed, useSignal, useSignalEffect } from "@preact/signals";
import type { JSX } from "preact";
import { useEffect, useMemo } from "preact/hooks";
import { format } from "../../lib/i18n.ts";
import FeedbackApp, { AnswerSummary, formatRemaining } from "../FeedbackApp.tsx";
import type { InboxAppProps, InboxItem } from "./_props.ts";
import { watchOwnerStream } from "./_owner_stream.ts";
import { timeAgo } from "./time_ago.ts";

export type { InboxAppMessages, InboxAppProps, InboxItem } from "./_props.ts";

const EMPTY_DRAFT = { selectedOptions: [], freeText: "" };

/** `GET` a JSON page route of the inbox; a 401 means signed out: back to the sign-in page. */
async function getJson<T>(url: string): Promise<T | null> {
  const response = await fetch(url, { credentials: "same-origin", cache: "no-store" });
  if (response.status === 401) {
    location.assign("/inbox");
    return null;
  }
  if (response.status === 404) return null;
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  return (await response.json()).data as T;
}

function byNewest(a: InboxItem, b: InboxItem): number {
  return (b.endedAt ?? b.createdAt) - (a.endedAt ?? a.createdAt);
}

/** The inbox island. */
export default function InboxApp(props: InboxAppProps): JSX.Element {
  const t = props.messages;
  const items = useSignal<InboxItem[]>(props.items);
  const view = useSignal(props.view);
  const openId = useSignal<string | null>(null);
  const online = useSignal(!props.offline);
  const announcement = useSignal("");
  // The server's clock: the first render shows what the server rendered; then it ticks.
  const now = useSignal(props.renderedAt);
  const skew = useMemo(() => ({ ms: 0 }), []);

  const pending = useComputed(() =>
    items.value.filter((i) => i.status === "pending").sort((a, b) => b.createdAt - a.createdAt)
  );
  const past = useComputed(() => items.value.filter((i) => i.status !== "pending").sort(byNewest));
  const unread = useComputed(() => pending.value.filter((i) => !i.viewed).length);

  const statusText = (item: InboxItem) =>
    item.status === "completed"
      ? t.inboxStatusCompleted
      : item.status === "cancelled"
      ? t.inboxStatusCancelled
      : t.inboxStatusExpired;
  const titleOf = (item: InboxItem) => item.title ?? t.defaultTitle;

  const upsert = (fresh: InboxItem) => {
    const before = items.peek().find((i) => i.id === fresh.id);
    items.value = [...items.peek().filter((i) => i.id !== fresh.id), fresh];
    if (!before && fresh.status === "pending") {
      announcement.value = format(t.inboxAnnounceNew, { title: titleOf(fresh) });
    } else if (before?.status === "pending" && fresh.status !== "pending") {
      announcement.value = format(t.inboxAnnounceMoved, {
        title: titleOf(fresh),
        status: statusText(fresh),
      });
    }
  };

  const refresh = async () => {
    try {
      const data = await getJson<{ items: InboxItem[] }>("/inbox/api/items");
      if (data) batch(() => (items.value = data.items, online.value = true));
    } catch {
      online.value = false;
    }
  };

  // Several events name the same session (submitted, then status changed): one fetch for them.
  const queued = useMemo(() => new Set<string>(), []);
  const refreshItem = (id: string) => {
    if (queued.has(id)) return;
    queued.add(id);
    setTimeout(async () => {
      queued.delete(id);
      try {
        const item = await getJson<InboxItem>(`/inbox/api/items/${id}`);
        if (item) upsert(item);
        else items.value = items.peek().filter((i) => i.id !== id);
      } catch {
        online.value = false;
      }
    }, 30);
  };

  useEffect(() => {
    if (props.offline) {
      // The offline shell: load the real inbox as soon as the network is back.
      const back = () => location.reload();
      addEventListener("online", back);
      return () => removeEventListener("online", back);
    }
    skew.ms = props.renderedAt - Date.now();
    const tick = setInterval(() => now.value = Date.now() + skew.ms, 1000);
    const goOnline = () => refresh();
    const goOffline = () => online.value = false;
    addEventListener("online", goOnline);
    addEventListener("offline", goOffline);
    // `/inbox#<id>` (what a push notification opens): that question, open, in view.
    const fromHash = () => {
      const id = decodeURIComponent(location.hash.slice(1));
      const item = items.peek().find((i) => i.id === id);
      if (!item) return;
      view.value = item.status === "pending" ? "pending" : "history";
      if (item.status === "pending" && openId.peek() !== id) open(item);
      requestAnimationFrame(() => document.getElementById(`q-${id}`)?.scrollIntoView());
    };
    fromHash();
    addEventListener("hashchange", fromHash);
    const stop = watchOwnerStream({
      onConnected: refresh,
      onDisconnected: refresh,
      onSession: (id) => refreshItem(id),
      onSignedOut: () => location.assign("/inbox"),
    });
    return () => {
      clearInterval(tick);
      removeEventListener("online", goOnline);
      removeEventListener("offline", goOffline);
      removeEventListener("hashchange", fromHash);
      stop();
    };
  }, []);

  // The unread count in the tab title and on the installed app's icon.
  useSignalEffect(() => {
    const count = unread.value;
    const base = document.title.replace(/^\(\d+\) /, "");
    document.title = count > 0 ? `(${count}) ${base}` : base;
    const nav = navigator as Navigator & {
      setAppBadge?: (n: number) => Promise<void>;
      clearAppBadge?: () => Promise<void>;
    };
    (count > 0 ? nav.setAppBadge?.(count) : nav.clearAppBadge?.())?.catch(() => {});
  });

  const open = (item: InboxItem) => {
    if (openId.peek() === item.id) return void (openId.value = null);
    openId.value = item.id;
    if (item.viewed) return;
    upsert({ ...item, viewed: true });
    // Like opening its page: the agent can tell that the human has seen the question.
    fetch(`/inbox/api/items/${item.id}/viewed`, {
      method: "POST",
      credentials: "same-origin",
      headers: { "x-csrf-token": props.csrfToken },
    }).catch(() => {});
  };

  const switchTo = (next: "pending" | "history") => (event: Event) => {
    event.preventDefault();
    view.value = next;
    history.replaceState(null, "", next === "history" ? "/inbox?view=history" : "/inbox");
  };

  if (props.offline) {
    // The shell has no data: it says so, and nothing else (an empty list would be a claim).
    return (
      <div class="inbox" data-online="no">
        <p class="inbox-offline" role="status">{t.inboxOffline}</p>
      </div>
    );
  }
  const list = view.value === "pending" ? pending.value : past.value;
  return (
    <div class="inbox" data-view={view.value} data-online={online.value ? "yes" : "no"}>
      {!online.value && <p class="inbox-offline" role="status">{t.inboxOffline}</p>}
      <nav class="inbox-tabs" aria-label={t.inboxTabsLabel}>
        <a
          href="/inbox"
          aria-current={view.value === "pending" ? "page" : undefined}
          onClick={switchTo("pending")}
        >
          {t.inboxPendingTab}
          {pending.value.length > 0 && (
            <span class="inbox-count" data-unread={unread.value > 0 ? "yes" : "no"}>
              {pending.value.length}
            </span>
          )}
        </a>
        <a
          href="/inbox?view=history"
          aria-current={view.value === "history" ? "page" : undefined}
          onClick={switchTo("history")}
        >
          {t.inboxHistoryTab}
        </a>
      </nav>
      {list.length === 0
        ? (
          <p class="inbox-empty">
            {view.value === "pending" ? t.inboxEmptyPending : t.inboxEmptyHistory}
          </p>
        )
        : (
          <ul class="inbox-list">
            {list.map((item) => {
              const isOpen = openId.value === item.id && item.status === "pending";
              const left = item.expiresAt - now.value;
              return (
                <li
                  key={item.id}
                  id={`q-${item.id}`}
                  class="inbox-item"
                  data-status={item.status}
                  data-unread={item.status === "pending" && !item.viewed ? "yes" : undefined}
                >
                  <div class="inbox-item-head">
                    <h2 class="inbox-item-title">
                      <a href={`/feedback/${item.id}`}>{titleOf(item)}</a>
                    </h2>
                    {item.status === "pending" && !item.viewed && (
                      <span class="inbox-new">{t.inboxUnread}</span>
                    )}
                  </div>
                  <p class="inbox-meta">
                    {item.label && <span class="inbox-label">{item.label}</span>}
                    <span>
                      {format(t.inboxAsked, { time: timeAgo(item.createdAt, now.value, t) })}
                    </span>
                    {item.status === "pending"
                      ? !isOpen && (
                        <span class="countdown">
                          {left > 0
                            ? format(t.timeLeft, { time: formatRemaining(left) })
                            : t.closingNow}
                        </span>
                      )
                      : <span class="inbox-status">{statusText(item)}</span>}
                  </p>
                  {item.status === "pending" && (
                    <button
                      type="button"
                      class="inbox-toggle"
                      aria-expanded={isOpen ? "true" : "false"}
                      aria-controls={`a-${item.id}`}
                      onClick={() => open(item)}
                    >
                      {isOpen ? t.inboxHide : t.inboxAnswer}
                    </button>
                  )}
                  {isOpen && (
                    <div class="inbox-answer" id={`a-${item.id}`}>
                      <div
                        class="message"
                        // Rendered on the server by lib/markdown.ts: raw HTML off, links vetted.
                        dangerouslySetInnerHTML={{ __html: item.messageHtml }}
                      />
                      <FeedbackApp
                        key={item.id}
                        sessionId={item.id}
                        status={item.status}
                        options={item.options}
                        multiSelect={item.multiSelect}
                        allowFreeText={item.allowFreeText}
                        maxFreeTextLength={props.maxFreeTextLength}
                        images={item.images ?? []}
                        maxImages={props.maxImages ?? 4}
                        maxImageBytes={props.maxImageBytes ?? 2 << 20}
                        expiresAt={item.expiresAt}
                        renderedAt={now.peek()}
                        answer={null}
                        sentHere={false}
                        draft={EMPTY_DRAFT}
                        error={null}
                        messages={props.feedbackMessages}
                      />
                    </div>
                  )}
                  {item.status === "completed" && item.answer && (
                    <AnswerSummary answer={item.answer} messages={props.feedbackMessages} />
                  )}
                  {item.status !== "pending" && item.status !== "completed" && (
                    <p class="inbox-note">{t.inboxNoAnswer}</p>
                  )}
                </li>
              );
            })}
          </ul>
        )}
      <p class="visually-hidden" role="status" aria-live="polite">{announcement.value}</p>
    </div>
  );
}
