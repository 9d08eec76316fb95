/**
 * The answering part of the feedback page: the form while the question is pending, and the view
 * of each final state (thanks, already answered, expired, withdrawn). Rendered on the server (so
 * the form works without JavaScript: it is a plain POST to `/feedback/{id}`) and hydrated in the
 * browser, where it adds the API submit, the countdown, keyboard shortcuts, the character counter
 * and live status over the WebSocket (`/ws/{id}`, contract §5) with reconnect and backoff.
 *
 * This file holds the session's state, the form and the submit; the rest lives in the island's
 * private modules (`_*.ts`, `_*.tsx`): the props in `_props.ts`, the hooks `_countdown.ts`,
 * `_live_status.ts`, `_shortcuts.ts` and `_draft_storage.ts`, and the views `_StatusLine.tsx`,
 * `_Outcome.tsx`, `_AnswerSummary.tsx` and `_Announcer.tsx`.
 * @module
 */
import type { JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import type { SessionStatus } from "../lib/feedback/model.ts";
import { format } from "../lib/i18n.ts";
import { fetchIslandProps } from "../lib/islands/client.ts";
import { Announcer } from "./_Announcer.tsx";
import { useCountdown } from "./_countdown.ts";
import { useStoredDraft } from "./_draft_storage.ts";
import { answerErrorKey } from "./_errors.ts";
import { useLiveStatus } from "./_live_status.ts";
import { Outcome } from "./_Outcome.tsx";
import type { AnswerDraft, FeedbackAppProps } from "./_props.ts";
import { useShortcuts } from "./_shortcuts.ts";
import { StatusLine } from "./_StatusLine.tsx";

// The page (routes/feedback/[id].tsx) and the tests know the island by this file alone.
export { formatRemaining } from "./_countdown.ts";
export {
  type AnswerDraft,
  FEEDBACK_APP_MESSAGES,
  type FeedbackAppMessages,
  type FeedbackAppProps,
} from "./_props.ts";

/** Length as the server counts it: code points, so an emoji is one character, not two. */
function codePoints(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
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
  const [announcement, setAnnouncement] = useState("");
  /** Whether the announcement is also shown as a toast (news from elsewhere, not this page). */
  const [toast, setToast] = useState(false);
  // Refs for what callbacks outside a render (socket, timers, the submit's await) must read now.
  const busyRef = useRef(false);
  const statusRef = useRef(status);
  statusRef.current = status;
  const headingRef = useRef<HTMLHeadingElement>(null);
  const errorRef = useRef<HTMLDivElement>(null);
  const mounted = useRef(false);

  const pending = status === "pending";

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

  // At the deadline, ask the server what happened: the page turns even when the socket is down.
  const { remaining, syncWithServer } = useCountdown({
    expiresAt: props.expiresAt,
    renderedAt: props.renderedAt,
    running: pending,
    onDeadline: () => refresh("expired", t.expiredTitle),
  });

  useStoredDraft(props.sessionId, { selectedOptions: selected, freeText: text }, {
    // A rejected no-JS post sent what the human entered; that wins over an older draft.
    restore: pending && !props.error,
    keep: pending,
    onRestore: (stored) => {
      setSelected(stored.selectedOptions.filter((o) => props.options.includes(o)));
      if (props.allowFreeText) setText(stored.freeText);
    },
  });

  const connection = useLiveStatus(props.sessionId, {
    active: pending,
    onServerTime: syncWithServer,
    onStatus: (current) => {
      // While this page's own submit is in flight, `completed` is its answer, not news.
      if (current === "completed" && !busyRef.current) refresh("completed", t.answeredLive);
      if (current === "expired") refresh("expired", t.expiredTitle);
      if (current === "cancelled") refresh("cancelled", t.cancelledTitle);
    },
  });

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
      // A stale tab learns the truth from the refusal: 409 answered, 410 expired or withdrawn.
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

  useShortcuts({ active: pending, options: props.options, onSubmit: submit, onToggle: toggle });

  const announcer = <Announcer announcement={announcement} toast={toast} />;

  if (!pending) {
    return (
      <Outcome
        status={status}
        sentHere={sentHere}
        answer={answer}
        messages={t}
        headingRef={headingRef}
      >
        {announcer}
      </Outcome>
    );
  }

  const count = codePoints(text.trim());
  const over = count - props.maxFreeTextLength;
  const hasOptions = props.options.length > 0;
  return (
    <section class="answer" data-view="form">
      <StatusLine remaining={remaining} connection={connection} messages={t} />
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
      {announcer}
    </section>
  );
}
