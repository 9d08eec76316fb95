/**
 * The view of a final session: thanks (answered here), already answered (elsewhere), expired or
 * withdrawn, each with its icon, title and text, and what was sent (its images too) when there is
 * an answer.
 * @module
 */
import type { ComponentChildren, JSX, RefObject } from "preact";
import type { SessionStatus } from "../lib/feedback/model.ts";
import { AnswerSummary } from "./_AnswerSummary.tsx";
import type { AnswerView, FeedbackAppMessages } from "./_props.ts";

/** What {@link Outcome} shows. */
export interface OutcomeProps {
  /** Any status but `pending`. */
  status: SessionStatus;
  /** The answer was sent from this page. */
  sentHere: boolean;
  answer: AnswerView | null;
  messages: FeedbackAppMessages;
  /** The heading, focusable, so a view change can move focus to it. */
  headingRef: RefObject<HTMLHeadingElement | null>;
  /** Shown after the view (the announcer). */
  children?: ComponentChildren;
}

/** The outcome view (`data-view` is `thanks`, `answered`, `expired` or `cancelled`). */
export function Outcome(
  { status, sentHere, answer, messages: t, headingRef, children }: OutcomeProps,
): JSX.Element {
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
      {children}
    </section>
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
