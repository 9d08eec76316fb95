/**
 * What was sent, as shown by the thank-you and already-answered views: the chosen options, the
 * free text, then the images as thumbnails. Each part is left out when empty.
 * @module
 */
import type { JSX } from "preact";
import { Gallery } from "./_Gallery.tsx";
import type { AnswerView, FeedbackAppMessages } from "./_props.ts";

/** The answer as a definition list. */
export function AnswerSummary(
  { answer, messages: t }: { answer: AnswerView; messages: FeedbackAppMessages },
): JSX.Element {
  const images = answer.images ?? [];
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
      {images.length > 0 && (
        <>
          <dt>{t.sentImages}</dt>
          <dd>
            <Gallery images={images} label={t.answerImages} small messages={t} />
          </dd>
        </>
      )}
    </dl>
  );
}
