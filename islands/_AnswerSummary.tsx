/**
 * What was sent, as shown by the thank-you and already-answered views: the chosen options, then
 * the free text. Either part is left out when empty.
 * @module
 */
import type { JSX } from "preact";
import type { AnswerDraft, FeedbackAppMessages } from "./_props.ts";

/** The answer as a definition list. */
export function AnswerSummary(
  { answer, messages: t }: { answer: AnswerDraft; messages: FeedbackAppMessages },
): JSX.Element {
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
