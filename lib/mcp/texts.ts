/**
 * Everything the MCP endpoint says to an agent: server instructions, tool descriptions, result
 * texts and progress messages. Kept in one place because these words are the protocol the agent
 * learns (show the link, wait with `get_feedback_result`, stop asking when no answer comes).
 * @module
 */
import type { FeedbackLimits } from "../config.ts";
import type { FeedbackSession } from "../feedback/model.ts";
import { MAX_WAIT_SECONDS } from "../feedback/service.ts";

/** Sent in the `initialize` answer; clients show it to the model as the server's guide. */
export const SERVER_INSTRUCTIONS = [
  "Ask the human user a question and receive their answer through a web page.",
  "1. Call interactive_feedback with your question (markdown) and, when there are obvious choices, predefinedOptions.",
  "2. Show the returned feedbackUrl to the user as a link and ask them to answer there.",
  `3. Call get_feedback_result with the sessionId and wait=${MAX_WAIT_SECONDS}; call it again while the status is pending.`,
  "4. Act on the answer. If no answer comes (expired or withdrawn), continue without it and do not ask the same question again.",
].join("\n");

/** The tool descriptions, with the configured limits filled in. */
export function toolDescriptions(limits: FeedbackLimits) {
  return {
    interactive_feedback: [
      "Ask the human user a question and get their answer through a web page, instead of guessing when you need a decision, a confirmation or facts only the user has.",
      "Creates a feedback session and returns its feedbackUrl and sessionId.",
      "How to use it:",
      "1. Call with `message` (markdown: what you need and why) and, for quick choices, `predefinedOptions`. Leave `wait` at 0.",
      "2. Show the feedbackUrl to the user in your reply, as a link, and ask them to answer there.",
      `3. Call get_feedback_result with the sessionId and wait=${MAX_WAIT_SECONDS}; repeat while the status is pending.`,
      "4. Act on the answer. If the result says no answer came, continue without it and do not ask the same question again.",
      "With `wait` > 0 this call itself holds until the answer comes (progress notifications carry the link); use that only when the user already knows where to answer, because you cannot show the link while the call is running.",
      `Limits: message up to ${limits.maxMessageLength} characters, at most ${limits.maxOptions} options of up to ${limits.maxOptionLength} characters, timeout ${limits.minTimeout}-${limits.maxTimeout} s (default ${limits.defaultTimeout} s).`,
    ].join("\n"),
    get_feedback_result: [
      "Get the user's answer to a question asked with interactive_feedback.",
      `With \`wait\` (seconds, 0-${MAX_WAIT_SECONDS}; larger values are treated as ${MAX_WAIT_SECONDS}) the call holds until the answer arrives, the question ends, or the wait passes. The answer wakes it at once, so wait=${MAX_WAIT_SECONDS} is better than calling repeatedly with short waits.`,
      "If the status is still pending, call again with the same sessionId. If the result says no answer came, continue without it and do not ask the same question again.",
    ].join("\n"),
    check_feedback_status: [
      "Check a question's state without waiting: pending, completed, expired or cancelled, its times, and whether the user has opened the page (viewedAt).",
      "To wait for the answer use get_feedback_result instead.",
    ].join("\n"),
    cancel_feedback: [
      "Withdraw a pending question, for example when it no longer matters or was asked by mistake.",
      "The page the user has open shows at once that it was withdrawn. An answered or ended question cannot be withdrawn.",
    ].join("\n"),
    list_feedback_sessions: [
      "List your recent questions, newest first, with their status, link and answer (when answered).",
      "Use it to find a sessionId you lost, for example after a restart. Filter with `status`.",
    ].join("\n"),
  } as const;
}

/** Descriptions of the input fields, shown to the agent in the tools' JSON schemas. */
export const FIELD_DESCRIPTIONS = {
  message:
    "The question for the user, in markdown. Say what you need and why; include the context the user needs to answer.",
  title: "A short title shown above the question.",
  predefinedOptions: "Answers the user can pick with one click. Omit for a free-text question.",
  multiSelect: "Whether the user may pick several options (default true).",
  allowFreeText: "Whether the user may also write a free-text answer (default true).",
  timeout: "Seconds the question stays open before it expires unanswered.",
  metadata: "Any JSON object to keep with the question (returned with the answer).",
  waitCreate:
    "Seconds to hold this call waiting for the answer (default 0: return at once). Values above the question's timeout are treated as the timeout.",
  waitResult:
    `Seconds to wait for the answer (0-${MAX_WAIT_SECONDS}, default 0). Values above ${MAX_WAIT_SECONDS} are treated as ${MAX_WAIT_SECONDS}.`,
  sessionId: "The sessionId returned by interactive_feedback.",
  status: "Only questions in this state.",
  limit: "How many questions to return (1-50, default 10).",
} as const;

const NO_ANSWER_NEXT = "Continue without it and do not ask the same question again.";

const iso = (ms: number | undefined) => ms === undefined ? "" : new Date(ms).toISOString();

function nextWait(id: string): string {
  return `call get_feedback_result with {"sessionId":"${id}","wait":${MAX_WAIT_SECONDS}}`;
}

function viewedLine(session: FeedbackSession): string {
  return session.viewedAt === undefined
    ? "The user has not opened the page yet."
    : `The user opened the page at ${iso(session.viewedAt)}.`;
}

/** What just happened, so the text can say the right next step. */
export type ResultContext =
  | { kind: "created" }
  | { kind: "waited"; waitedSeconds: number }
  | { kind: "status" }
  | { kind: "cancelled" };

/**
 * The text part of a single-session result. An answer always comes first; a pending question
 * carries the link and the next call; a question that ended unanswered says to move on.
 */
export function sessionText(
  session: FeedbackSession,
  feedbackUrl: string,
  context: ResultContext,
): string {
  switch (session.status) {
    case "completed":
      return [
        "The user answered:",
        "",
        session.feedback?.combinedFeedback ?? "",
        "",
        `Act on this answer. (sessionId ${session.id}, answered at ${iso(session.submittedAt)})`,
      ].join("\n");
    case "expired":
      return `No answer came: the question expired at ${
        iso(session.expiresAt)
      } without a reply. ${NO_ANSWER_NEXT}`;
    case "cancelled":
      return context.kind === "cancelled"
        ? `Question withdrawn: the user's page now shows that it was withdrawn. No answer will come. ${NO_ANSWER_NEXT}`
        : `No answer came: the question was withdrawn at ${
          iso(session.cancelledAt)
        }. ${NO_ANSWER_NEXT}`;
    case "pending":
      return pendingText(session, feedbackUrl, context);
  }
}

function pendingText(session: FeedbackSession, url: string, context: ResultContext): string {
  const until = `The question stays open until ${iso(session.expiresAt)}.`;
  switch (context.kind) {
    case "created":
      return [
        "Question created. Show this link to the user now and ask them to answer there:",
        url,
        "",
        `Next: ${nextWait(session.id)}, and call it again while the status is pending. ${until}`,
      ].join("\n");
    case "waited":
      return [
        `No answer yet (waited ${context.waitedSeconds} s). ${viewedLine(session)}`,
        "If you have not shown the user the link yet, show it now:",
        url,
        "",
        `Next: ${nextWait(session.id)} again. ${until}`,
      ].join("\n");
    default:
      return [
        `Status: pending, no answer yet. ${viewedLine(session)}`,
        `Link for the user: ${url}`,
        "",
        `To wait for the answer, ${nextWait(session.id)}. ${until}`,
      ].join("\n");
  }
}

/** The text part of `list_feedback_sessions`. */
export function listText(rows: { session: FeedbackSession; feedbackUrl: string }[]): string {
  if (rows.length === 0) return "You have no feedback sessions matching this filter.";
  const lines = rows.map(({ session, feedbackUrl }) => {
    const label = session.title ?? preview(session.message, 80);
    const answer = session.status === "completed"
      ? ` - answer: ${preview(session.feedback?.combinedFeedback ?? "", 120)}`
      : "";
    return `- [${session.status}] ${label} (sessionId ${session.id}, ${feedbackUrl})${answer}`;
  });
  return [
    `${rows.length} session(s), newest first:`,
    ...lines,
    "",
    "Use get_feedback_result with a sessionId to read or wait for an answer.",
  ].join("\n");
}

/** The first `max` code points of a text on one line, with an ellipsis when cut. */
export function preview(text: string, max: number): string {
  const flat = text.replace(/\s+/g, " ").trim();
  const chars = [...flat];
  return chars.length <= max ? flat : `${chars.slice(0, max - 1).join("")}…`;
}

/** The message of a progress notification sent while a call waits. */
export function progressText(
  session: FeedbackSession | undefined,
  feedbackUrl: string,
  elapsedSeconds: number,
  waitSeconds: number,
): string {
  const seen = session?.viewedAt === undefined
    ? "The user has not opened the page yet"
    : `The user opened the page at ${iso(session.viewedAt)}`;
  return `Waiting for the user's answer: ${Math.floor(elapsedSeconds)} s of up to ${
    Math.round(waitSeconds)
  } s. ${seen}: ${feedbackUrl}`;
}

/** Safe `isError` texts for the errors a tool call can meet. */
export const ERROR_TEXTS = {
  notFound: (id: string) =>
    `No feedback session ${id} exists for you. Check the sessionId; list_feedback_sessions shows your sessions.`,
  invalid: (reasons: string) => `Invalid arguments: ${reasons}. Fix them and call again.`,
  alreadyAnswered:
    "This question was already answered, so it cannot be withdrawn. Call get_feedback_result to read the answer.",
  gone: (status: "expired" | "cancelled") =>
    status === "expired"
      ? "This question already expired; there is nothing to withdraw."
      : "This question was already withdrawn.",
  internal: "An internal error occurred. Please try again.",
} as const;
