/**
 * The view of a final session: thanks (answered here), already answered (elsewhere), expired or
 * withdrawn, each with its icon, title and text, and what was sent (its images too) when there is
 * an answer. The inline MCP App form shows the same view, in its own words where they differ.
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
  /** Replaces the `thanks` text (the page's says "close this page"). */
  thanksBody?: string;
  /** Whether `answered` says the answer just came in; by default, when none is shown. */
  answeredLive?: boolean;
  /** The heading announces itself, where no announcer speaks the change. */
  live?: boolean;
  /** Shown after the view (the announcer). */
  children?: ComponentChildren;
}

/** Which outcome a session shows: its status, with `completed` told apart by who sent it. */
export type OutcomeView = "thanks" | "answered" | Exclude<SessionStatus, "completed">;

/** The view of a final `status`: `thanks` when the answer was sent from here. */
export function outcomeViewOf(status: SessionStatus, sentHere: boolean): OutcomeView {
  if (status !== "completed") return status;
  return sentHere ? "thanks" : "answered";
}

/** The outcome view (`data-view` is `thanks`, `answered`, `expired` or `cancelled`). */
export function Outcome(props: OutcomeProps): JSX.Element {
  const { answer, messages: t, headingRef } = props;
  const view = outcomeViewOf(props.status, props.sentHere);
  const [title, body] = view === "thanks"
    ? [t.thankYouTitle, props.thanksBody ?? t.thankYouBody]
    : view === "answered"
    ? [t.answeredTitle, (props.answeredLive ?? !answer) ? t.answeredLive : t.answeredBody]
    : view === "expired"
    ? [t.expiredTitle, t.expiredBody]
    : [t.cancelledTitle, t.cancelledBody];
  return (
    <section class={`outcome outcome-${view}`} data-view={view} aria-labelledby="outcome-title">
      <h2
        id="outcome-title"
        ref={headingRef}
        tabIndex={-1}
        aria-live={props.live ? "polite" : undefined}
      >
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
      {props.children}
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
