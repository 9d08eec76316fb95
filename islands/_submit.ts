/**
 * The island's submit, in steps: build the answer from the form, check what the page can check
 * itself, send it to the API (`POST /api/feedback/{id}/submit`, contract §3), and turn the reply
 * into the next view or an error on the form.
 * @module
 */
import { format } from "../lib/i18n.ts";
import { codePointLength } from "../lib/text.ts";
import { type AnswerError, answerErrorKey } from "./answer_errors.ts";
import type { AnswerDraft, FeedbackAppProps } from "./_props.ts";
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

/** What the page can refuse without asking (nothing chosen, text too long), localized; or null. */
export function problemWith(answer: AnswerDraft, props: FeedbackAppProps): string | null {
  const t = props.messages;
  const length = codePointLength(answer.freeText.trim());
  if (answer.selectedOptions.length === 0 && length === 0) return t.errorEmpty;
  if (length > props.maxFreeTextLength) {
    return format(t.errorTooLong, { max: props.maxFreeTextLength });
  }
  return null;
}

/** Posts the answer. Throws when the network fails. */
export async function sendAnswer(sessionId: string, answer: AnswerDraft): Promise<SubmitReply> {
  const response = await fetch(`/api/feedback/${sessionId}/submit`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(answer),
  });
  if (response.ok) return { ok: true };
  const body = await response.json().catch(() => null);
  return { ok: false, error: body?.error };
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
export async function submit(state: FeedbackState, props: FeedbackAppProps): Promise<void> {
  if (state.busy.peek() || !state.pending.peek()) return;
  const answer = answerFromForm(state, props);
  const problem = problemWith(answer, props);
  if (problem) return state.showError(problem);
  state.busy.value = true;
  state.error.value = null;
  try {
    const reply = await sendAnswer(props.sessionId, answer);
    if (reply.ok) return state.accept(answer);
    const final = finalStatusOf(reply.error);
    if (final) return void state.turnTo(final);
    const key = answerErrorKey(reply.error, {
      freeText: answer.freeText,
      maxFreeTextLength: props.maxFreeTextLength,
    });
    state.showError(format(props.messages[key], { max: props.maxFreeTextLength }));
  } catch {
    state.showError(props.messages.errorNetwork);
  } finally {
    state.busy.value = false;
  }
}
