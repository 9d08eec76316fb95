/**
 * The island's submit, in steps: build the answer from the form, check what the page can check
 * itself, send it to the API (`POST /api/feedback/{id}/submit`, contract §3) with its images, and
 * turn the reply into the next view or an error on the form.
 *
 * It goes by `XMLHttpRequest`, not `fetch`: its upload reports progress in every browser, which
 * the bar under the thumbnails shows. `fetch` can only measure an upload by streaming the body,
 * which Chromium does over HTTP/2 alone and Firefox and Safari not at all.
 * @module
 */
import { format } from "../lib/i18n.ts";
import { codePointLength } from "../lib/text.ts";
import { type AnswerError, answerErrorKey, answerErrorValues } from "./answer_errors.ts";
import type { Attachments } from "./_attachments.ts";
import type { AnswerDraft, FeedbackAppProps, ShownImage } from "./_props.ts";
import type { FeedbackState, FinalStatus } from "./_state.ts";

/** The API's reply: accepted, or refused with its error envelope (absent if not JSON). */
export type SubmitReply = { ok: true } | { ok: false; error: AnswerError | undefined };

/** The answer as the API takes it: options in the question's order, text only where asked. */
export function answerFromForm(state: FeedbackState, props: FeedbackAppProps): AnswerDraft {
  const selected = state.selected.peek();
  return {
    selectedOptions: props.options.filter((o) => selected.includes(o)),
    freeText: props.allowFreeText ? state.text.peek() : "",
  };
}

/**
 * What the page can refuse without asking (nothing chosen, written or attached; text too long),
 * localized; or null.
 */
export function problemWith(
  answer: AnswerDraft,
  props: FeedbackAppProps,
  images = 0,
): string | null {
  const t = props.messages;
  const length = codePointLength(answer.freeText.trim());
  if (answer.selectedOptions.length === 0 && length === 0 && images === 0) return t.errorEmpty;
  if (length > props.maxFreeTextLength) {
    return format(t.errorTooLong, { max: props.maxFreeTextLength });
  }
  return null;
}

/**
 * Posts `body` (the answer as JSON); `onProgress` hears the share of it uploaded (0–1). Rejects
 * when the network fails.
 */
export function sendAnswer(
  sessionId: string,
  body: string,
  onProgress?: (share: number) => void,
): Promise<SubmitReply> {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open("POST", `/api/feedback/${sessionId}/submit`);
    request.setRequestHeader("content-type", "application/json");
    request.responseType = "json";
    if (onProgress) request.upload.onprogress = (e) => onProgress(e.loaded / (e.total || 1));
    request.onload = () =>
      resolve(
        request.status < 300 ? { ok: true } : { ok: false, error: request.response?.error },
      );
    request.onerror = request.onabort = request.ontimeout = () => reject(new Error("network"));
    request.send(body);
  });
}

/** A refusal that means the session is over: a stale tab learns the truth from it. */
export function finalStatusOf(error: AnswerError | undefined): FinalStatus | null {
  switch (error?.code) {
    case "ALREADY_SUBMITTED":
      return "completed";
    case "SESSION_EXPIRED":
    case "SESSION_NOT_FOUND":
      return "expired";
    case "SESSION_CANCELLED":
      return "cancelled";
    default:
      return null;
  }
}

/** Submits the form: at most one at a time, and only while the form is shown. */
export async function submit(
  state: FeedbackState,
  props: FeedbackAppProps,
  attachments: Attachments,
): Promise<void> {
  if (state.busy.peek() || !state.pending.peek()) return;
  const waiting = attachments.items.peek().length + attachments.preparing.peek();
  const early = problemWith(answerFromForm(state, props), props, waiting);
  if (early) return state.showError(early);
  state.busy.value = true;
  state.error.value = null;
  const { progress } = attachments;
  let sent = 0;
  try {
    // Images still being scaled go with the answer; one refused meanwhile may leave it empty.
    await attachments.settled();
    const answer = answerFromForm(state, props);
    // Nothing is added meanwhile: the form takes no images while busy.
    sent = attachments.items.peek().length;
    const problem = problemWith(answer, props, sent);
    if (problem) return state.showError(problem);
    const images = await attachments.payload();
    if (sent) progress.value = 0;
    const reply = await sendAnswer(
      props.sessionId,
      JSON.stringify(sent ? { ...answer, images } : answer),
      sent ? (share) => progress.value = share : undefined,
    );
    if (reply.ok) {
      // The server numbers an answer's images a1, a2, … in the order sent; the thank-you view
      // shows them from the previews (kept before the form goes, which clears the rest).
      const shown: ShownImage[] = attachments.keep().map(({ url, width, height }, i) => ({
        id: `a${i + 1}`,
        url: `/feedback/${props.sessionId}/images/a${i + 1}`,
        preview: url,
        width,
        height,
        alt: null,
      }));
      return state.accept({ ...answer, images: shown });
    }
    const final = finalStatusOf(reply.error);
    if (final) return void state.turnTo(final);
    const key = answerErrorKey(reply.error, {
      freeText: answer.freeText,
      maxFreeTextLength: props.maxFreeTextLength,
      images: sent,
    });
    state.showError(format(props.messages[key], answerErrorValues(props)));
  } catch {
    state.showError(props.messages.errorNetwork);
  } finally {
    state.busy.value = false;
    progress.value = null;
  }
}
