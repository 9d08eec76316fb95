/**
 * The answering part of the feedback page: the form while the question is pending, and the view
 * of each final state (thanks, already answered, expired, withdrawn). Rendered on the server (so
 * the form works without JavaScript: it is a plain POST to `/feedback/{id}`) and hydrated in the
 * browser, where it adds the API submit, the countdown, keyboard shortcuts, the character counter
 * and live status over the WebSocket (`/ws/{id}`, contract §5) with reconnect and backoff.
 * @module
 */
import type { JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import type { SessionStatus } from "../lib/feedback/model.ts";
import { format } from "../lib/i18n.ts";
import { fetchIslandProps } from "../lib/islands/client.ts";
import { answerErrorKey } from "./_errors.ts";

/** The strings this island shows; the page passes them in its language. */
export const FEEDBACK_APP_MESSAGES = [
  "optionsLegendMulti",
  "optionsLegendSingle",
  "freeTextLabel",
  "freeTextLabelWithOptions",
  "counter",
  "counterOver",
  "submit",
  "sending",
  "shortcutHint",
  "timeLeft",
  "closingNow",
  "thankYouTitle",
  "thankYouBody",
  "answeredTitle",
  "answeredBody",
  "answeredLive",
  "sentOptions",
  "sentText",
  "nothingToShow",
  "expiredTitle",
  "expiredBody",
  "cancelledTitle",
  "cancelledBody",
  "connectionLive",
  "connectionConnecting",
  "connectionOffline",
  "connectionLabel",
  "errorEmpty",
  "errorTooLong",
  "errorInvalid",
  "errorRateLimited",
  "errorNetwork",
  "errorServer",
  "errorUnsupported",
] as const;

/** The strings of {@link FEEDBACK_APP_MESSAGES}. */
export type FeedbackAppMessages = Record<(typeof FEEDBACK_APP_MESSAGES)[number], string>;

/** An answer: what was (or is about to be) sent. */
export interface AnswerDraft {
  selectedOptions: string[];
  freeText: string;
}

/** Everything the island needs; JSON only, as for every island. */
export interface FeedbackAppProps {
  sessionId: string;
  status: SessionStatus;
  options: string[];
  multiSelect: boolean;
  allowFreeText: boolean;
  maxFreeTextLength: number;
  /** Epoch ms. */
  expiresAt: number;
  /** The server's clock when it rendered the page (epoch ms): the countdown's first value. */
  renderedAt: number;
  /** What was sent, when the session is completed. */
  answer: AnswerDraft | null;
  /** The answer was sent from this page (shows the thank-you view). */
  sentHere: boolean;
  /** The form's content (after a rejected no-JS post, what the human had entered). */
  draft: AnswerDraft;
  /** An error to show at once (from a rejected no-JS post), already localized. */
  error: string | null;
  messages: FeedbackAppMessages;
}

type Connection = "idle" | "connecting" | "live" | "offline";

const PING_INTERVAL_MS = 60_000;
const MAX_BACKOFF_MS = 30_000;
const DRAFT_PREFIX = "feedback-draft:";

function codePoints(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/** `m:ss`, or `h:mm:ss` from an hour up. */
export function formatRemaining(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

function readStoredDraft(sessionId: string): AnswerDraft | null {
  try {
    const raw = sessionStorage.getItem(DRAFT_PREFIX + sessionId);
    const value = raw ? JSON.parse(raw) : null;
    if (
      value && Array.isArray(value.selectedOptions) && typeof value.freeText === "string" &&
      value.selectedOptions.every((o: unknown) => typeof o === "string")
    ) return value;
  } catch { /* storage blocked or garbage: no draft */ }
  return null;
}

function storeDraft(sessionId: string, draft: AnswerDraft | null): void {
  try {
    if (draft) sessionStorage.setItem(DRAFT_PREFIX + sessionId, JSON.stringify(draft));
    else sessionStorage.removeItem(DRAFT_PREFIX + sessionId);
  } catch { /* storage blocked: drafts are a convenience */ }
}

/** The feedback island. */
export default function FeedbackApp(props: FeedbackAppProps): JSX.Element {
  const t = props.messages;
  const [status, setStatus] = useState<SessionStatus>(props.status);
  const [answer, setAnswer] = useState<AnswerDraft | null>(props.answer);
  const [sentHere, setSentHere] = useState(props.sentHere);
  const [selected, setSelected] = useState<string[]>(props.draft.selectedOptions);
  const [text, setText] = useState(props.draft.freeText);
  const [error, setError] = useState<string | null>(props.error);
  const [busy, setBusy] = useState(false);
  const [now, setNow] = useState(props.renderedAt);
  const [connection, setConnection] = useState<Connection>("idle");
  const [announcement, setAnnouncement] = useState("");
  /** Whether the announcement is also shown as a toast (news from elsewhere, not this page). */
  const [toast, setToast] = useState(false);
  const clockOffset = useRef(0);
  const busyRef = useRef(false);
  const statusRef = useRef(status);
  statusRef.current = status;
  const headingRef = useRef<HTMLHeadingElement>(null);
  const errorRef = useRef<HTMLDivElement>(null);
  const mounted = useRef(false);

  const pending = status === "pending";
  const remaining = props.expiresAt - now;

  /** Reloads the island's props from the page, so a final view shows what the server knows. */
  const refresh = async (fallback: SessionStatus, notice?: string) => {
    if (statusRef.current === fallback && fallback !== "pending") return;
    setStatus(fallback);
    if (notice) {
      setAnnouncement(notice);
      setToast(true);
    }
    try {
      const fresh = await fetchIslandProps<FeedbackAppProps>(location.pathname, "FeedbackApp");
      if (fresh) {
        setStatus(fresh.status);
        setAnswer(fresh.answer);
      }
    } catch { /* offline: the fallback view stands */ }
  };

  // The clock: one tick a second while pending; at the deadline, ask the server what happened.
  useEffect(() => {
    if (!pending) return;
    const tick = () => setNow(Date.now() + clockOffset.current);
    tick();
    const timer = setInterval(tick, 1000);
    return () => clearInterval(timer);
  }, [pending]);

  useEffect(() => {
    if (!pending || remaining > 0) return;
    const timer = setTimeout(() => refresh("expired", t.expiredTitle), 1500);
    return () => clearTimeout(timer);
  }, [pending, remaining <= 0]);

  // Restore a draft kept across reloads (e.g. a language switch), then keep it up to date.
  useEffect(() => {
    if (!pending || props.error) return;
    const stored = readStoredDraft(props.sessionId);
    if (stored) {
      setSelected(stored.selectedOptions.filter((o) => props.options.includes(o)));
      if (props.allowFreeText) setText(stored.freeText);
    }
  }, []);
  useEffect(() => {
    if (!mounted.current) return;
    storeDraft(
      props.sessionId,
      pending && (selected.length || text) ? { selectedOptions: selected, freeText: text } : null,
    );
  }, [selected, text, pending]);

  // Live status over the WebSocket, reconnecting with backoff until the session is final.
  useEffect(() => {
    if (!pending) {
      setConnection("idle");
      return;
    }
    let socket: WebSocket | undefined;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let ping: ReturnType<typeof setInterval> | undefined;
    let attempt = 0;
    let stopped = false;
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const url = `${scheme}//${location.host}/ws/${props.sessionId}?clientType=web`;

    const onMessage = (event: MessageEvent) => {
      let message: { type?: string; data?: Record<string, unknown> };
      try {
        message = JSON.parse(String(event.data));
      } catch {
        return;
      }
      const data = message.data ?? {};
      switch (message.type) {
        case "connection_established": {
          const serverTime = Date.parse(String(data.serverTime));
          if (!Number.isNaN(serverTime)) clockOffset.current = serverTime - Date.now();
          const current = data.status;
          if (current === "completed" && !busyRef.current) refresh("completed", t.answeredLive);
          if (current === "expired") refresh("expired", t.expiredTitle);
          if (current === "cancelled") refresh("cancelled", t.cancelledTitle);
          break;
        }
        case "session_status_changed":
          if (data.newStatus === "completed" && !busyRef.current) {
            refresh("completed", t.answeredLive);
          }
          if (data.newStatus === "expired") refresh("expired", t.expiredTitle);
          if (data.newStatus === "cancelled") refresh("cancelled", t.cancelledTitle);
          break;
        case "feedback_submitted":
          if (!busyRef.current) refresh("completed", t.answeredLive);
          break;
        case "session_expired":
          refresh("expired", t.expiredTitle);
          break;
      }
    };

    const connect = () => {
      if (stopped) return;
      setConnection("connecting");
      socket = new WebSocket(url);
      socket.onopen = () => {
        attempt = 0;
        setConnection("live");
        ping = setInterval(() => {
          socket?.send(
            JSON.stringify({ type: "ping", data: {}, timestamp: new Date().toISOString() }),
          );
        }, PING_INTERVAL_MS);
      };
      socket.onmessage = onMessage;
      socket.onclose = () => {
        clearInterval(ping);
        if (stopped) return;
        setConnection("offline");
        const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** attempt++) * (0.5 + Math.random() / 2);
        retry = setTimeout(connect, delay);
      };
    };
    connect();
    return () => {
      stopped = true;
      clearTimeout(retry);
      clearInterval(ping);
      socket?.close(1000);
    };
  }, [pending]);

  // A view change made here (not the first render) moves focus to the new view's heading.
  useEffect(() => {
    if (mounted.current && !pending) headingRef.current?.focus();
    mounted.current = true;
  }, [status, sentHere]);

  const toggle = (option: string) => {
    setError(null);
    setSelected((current) =>
      current.includes(option)
        ? current.filter((o) => o !== option)
        : props.multiSelect
        ? [...current, option]
        : [option]
    );
  };

  const submit = async () => {
    if (busyRef.current || statusRef.current !== "pending") return;
    const draft: AnswerDraft = {
      selectedOptions: props.options.filter((o) => selected.includes(o)),
      freeText: props.allowFreeText ? text : "",
    };
    const length = codePoints(draft.freeText.trim());
    const problem = draft.selectedOptions.length === 0 && length === 0
      ? t.errorEmpty
      : length > props.maxFreeTextLength
      ? format(t.errorTooLong, { max: props.maxFreeTextLength })
      : null;
    if (problem) {
      setError(problem);
      errorRef.current?.focus();
      return;
    }
    busyRef.current = true;
    setBusy(true);
    setError(null);
    try {
      const response = await fetch(`/api/feedback/${props.sessionId}/submit`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(draft),
      });
      const body = await response.json().catch(() => null);
      if (response.ok) {
        // Before the re-render: a live event about this very answer must not read as news.
        statusRef.current = "completed";
        setAnswer({ selectedOptions: draft.selectedOptions, freeText: draft.freeText.trim() });
        setSentHere(true);
        setStatus("completed");
        setAnnouncement(t.thankYouTitle);
        return;
      }
      const code: string | undefined = body?.error?.code;
      if (code === "ALREADY_SUBMITTED") return void refresh("completed", t.answeredLive);
      if (code === "SESSION_EXPIRED" || code === "SESSION_NOT_FOUND") {
        return void refresh("expired", t.expiredTitle);
      }
      if (code === "SESSION_CANCELLED") return void refresh("cancelled", t.cancelledTitle);
      const details = body?.error?.details ?? {};
      setError(
        format(t[answerErrorKey(code, details.field, details.reason)], {
          max: props.maxFreeTextLength,
        }),
      );
      errorRef.current?.focus();
    } catch {
      setError(t.errorNetwork);
      errorRef.current?.focus();
    } finally {
      busyRef.current = false;
      setBusy(false);
    }
  };

  // Ctrl/Cmd+Enter submits from anywhere; 1–9 toggle options unless the human is typing.
  const submitRef = useRef(submit);
  submitRef.current = submit;
  const toggleRef = useRef(toggle);
  toggleRef.current = toggle;
  useEffect(() => {
    if (!pending) return;
    const onKey = (event: KeyboardEvent) => {
      if (event.isComposing || event.defaultPrevented) return;
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        submitRef.current();
        return;
      }
      if (event.ctrlKey || event.metaKey || event.altKey || !/^[1-9]$/.test(event.key)) return;
      const target = event.target as HTMLElement | null;
      if (
        target?.closest("textarea, input:not([type=checkbox]):not([type=radio]), [contenteditable]")
      ) {
        return;
      }
      const option = props.options[Number(event.key) - 1];
      if (option === undefined) return;
      event.preventDefault();
      toggleRef.current(option);
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [pending]);

  // Screen readers hear the announcement from a region that stays in place; the toast shows it.
  const liveRegion = (
    <>
      <p class="visually-hidden" role="status" aria-live="polite">{announcement}</p>
      {toast && announcement && (
        <p class="toast" aria-hidden="true" key={announcement}>{announcement}</p>
      )}
    </>
  );

  if (!pending) {
    const view = sentHere && status === "completed"
      ? "thanks"
      : status === "completed"
      ? "answered"
      : status;
    const [title, body] = view === "thanks"
      ? [t.thankYouTitle, t.thankYouBody]
      : view === "answered"
      ? [t.answeredTitle, answer ? t.answeredBody : t.answeredLive]
      : view === "expired"
      ? [t.expiredTitle, t.expiredBody]
      : [t.cancelledTitle, t.cancelledBody];
    return (
      <section class={`outcome outcome-${view}`} data-view={view} aria-labelledby="outcome-title">
        <h2 id="outcome-title" ref={headingRef} tabIndex={-1}>
          <span class="outcome-icon" aria-hidden="true">
            {view === "thanks" || view === "answered"
              ? "✓"
              : view === "expired"
              ? <HourglassIcon />
              : "⊘"}
          </span>
          {title}
        </h2>
        <p>{body}</p>
        {(view === "thanks" || view === "answered") && answer &&
          <AnswerSummary answer={answer} messages={t} />}
        {liveRegion}
      </section>
    );
  }

  const count = codePoints(text.trim());
  const over = count - props.maxFreeTextLength;
  const hasOptions = props.options.length > 0;
  return (
    <section class="answer" data-view="form">
      <div class="meta">
        <p class={remaining < 60_000 ? "countdown soon" : "countdown"} role="timer">
          {remaining > 0 ? format(t.timeLeft, { time: formatRemaining(remaining) }) : t.closingNow}
        </p>
        {connection !== "idle" && (
          <p class="connection" data-state={connection} title={t.connectionLabel}>
            <span class="dot" aria-hidden="true" />
            {connection === "live"
              ? t.connectionLive
              : connection === "connecting"
              ? t.connectionConnecting
              : t.connectionOffline}
          </p>
        )}
      </div>
      <form
        method="post"
        action={`/feedback/${props.sessionId}`}
        class="form"
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          submit();
        }}
      >
        {hasOptions && (
          <fieldset class="options">
            <legend>{props.multiSelect ? t.optionsLegendMulti : t.optionsLegendSingle}</legend>
            {props.options.map((option, index) => (
              <label class="option" key={option}>
                <input
                  type={props.multiSelect ? "checkbox" : "radio"}
                  name="selectedOptions"
                  value={option}
                  checked={selected.includes(option)}
                  onClick={(event) => {
                    // Radios cannot be unticked natively; a second click on one clears it.
                    if (!props.multiSelect && selected.includes(option)) {
                      event.preventDefault();
                    }
                    toggle(option);
                  }}
                />
                <span class="option-text">{option}</span>
                {index < 9 && <kbd class="key" aria-hidden="true">{index + 1}</kbd>}
              </label>
            ))}
          </fieldset>
        )}
        {props.allowFreeText && (
          <div class="field">
            <label for="freeText">
              {hasOptions ? t.freeTextLabelWithOptions : t.freeTextLabel}
            </label>
            <textarea
              id="freeText"
              name="freeText"
              rows={hasOptions ? 3 : 5}
              aria-describedby="counter"
              aria-invalid={over > 0 ? "true" : undefined}
              value={text}
              onInput={(event) => {
                setError(null);
                setText(event.currentTarget.value);
              }}
            />
            <p id="counter" class={over > 0 ? "counter over" : "counter"}>
              {over > 0
                ? format(t.counterOver, { over })
                : format(t.counter, { count, max: props.maxFreeTextLength })}
            </p>
          </div>
        )}
        <div class="error" role="alert" ref={errorRef} tabIndex={-1}>{error}</div>
        <div class="actions">
          <button
            type="submit"
            class="primary"
            disabled={busy}
            aria-busy={busy ? "true" : undefined}
          >
            {busy ? t.sending : t.submit}
          </button>
          <p class="hint">{t.shortcutHint}</p>
        </div>
      </form>
      {liveRegion}
    </section>
  );
}

function AnswerSummary(
  { answer, messages: t }: { answer: AnswerDraft; messages: FeedbackAppMessages },
) {
  return (
    <dl class="summary">
      {answer.selectedOptions.length > 0 && (
        <>
          <dt>{t.sentOptions}</dt>
          <dd>
            <ul>{answer.selectedOptions.map((o) => <li key={o}>{o}</li>)}</ul>
          </dd>
        </>
      )}
      {answer.freeText && (
        <>
          <dt>{t.sentText}</dt>
          <dd class="sent-text">{answer.freeText}</dd>
        </>
      )}
    </dl>
  );
}

/** Drawn rather than the ⌛ character, which many phones and Linux fonts lack. */
function HourglassIcon() {
  return (
    <svg viewBox="0 0 24 24" width="18" height="18" fill="none" stroke="currentColor">
      <path
        d="M6 2h12M6 22h12M7 2v4l5 6-5 6v4M17 2v4l-5 6 5 6v4"
        stroke-width="2"
        stroke-linecap="round"
        stroke-linejoin="round"
      />
    </svg>
  );
}
