/**
 * Everything the MCP endpoint says to an agent: server instructions, tool descriptions, result
 * texts and progress messages. Kept in one place because these words are the protocol the agent
 * learns (show the link, wait with `get_feedback_result`, stop asking when no answer comes).
 * @module
 */
import type { FeedbackLimits } from "../config.ts";
import type { FeedbackSession } from "../feedback/model.ts";
import { isoTime, preview, statusTime } from "../feedback/present.ts";

/**
 * How long a call may hold, in seconds: `maxWait` (`MCP_MAX_WAIT`) for a client that sends no
 * progress token, `withProgress` for one that does.
 */
export interface WaitCaps {
  maxWait: number;
  withProgress: number;
}

function capSentence(caps: WaitCaps): string {
  const progress = caps.withProgress > caps.maxWait
    ? ` and may hold up to ${caps.withProgress} s`
    : "";
  return `A call holds at most ${caps.maxWait} s (larger waits are treated as ${caps.maxWait}); a client that sends a progressToken gets a progress notification every few seconds${progress}.`;
}

/** "At most N s", and the longer hold a progress token earns when the deployment allows one. */
function capClause(caps: WaitCaps): string {
  return caps.withProgress > caps.maxWait
    ? `At most ${caps.maxWait} s, or ${caps.withProgress} s with a progressToken`
    : `At most ${caps.maxWait} s`;
}

/**
 * The part of a question's timeout that an `interactive_feedback` wait leaves open: half the
 * timeout (rounded up to whole seconds), at most this many seconds. The call then returns while
 * the question is still open, so the agent can still show the link (it cannot while the call runs).
 */
export const CREATE_WAIT_MARGIN_MAX_SECONDS = 60;

/** The longest `interactive_feedback` wait, in seconds, for a question open `timeout` seconds. */
export function maxCreateWaitSeconds(timeout: number): number {
  return timeout - Math.min(Math.ceil(timeout / 2), CREATE_WAIT_MARGIN_MAX_SECONDS);
}

const IF_NO_ANSWER =
  "If the result says no answer came, do what it says: when the user opened the page and did not answer, continue without it and do not ask the same question again; when the user never opened the page, tell the user, and ask again only if the decision still matters.";

/** Sent in the `initialize` answer; clients show it to the model as the server's guide. */
export function serverInstructions(caps: WaitCaps): string {
  return [
    "Ask the human user a question and receive their answer through a web page.",
    "1. Call interactive_feedback with your question (markdown) and, when there are obvious choices, predefinedOptions. Leave wait at 0.",
    "2. Show the returned feedbackUrl to the user as a link and ask them to answer there. The user cannot answer without it.",
    `3. Call get_feedback_result with the sessionId and wait=${caps.maxWait}; call it again while the status is pending.`,
    `4. Act on the answer. ${IF_NO_ANSWER}`,
    "Calling interactive_feedback again with the same arguments while the question is open returns the same question: the user is never asked twice.",
  ].join("\n");
}

/** The tool descriptions, with the configured limits and wait caps filled in. */
export function toolDescriptions(limits: FeedbackLimits, caps: WaitCaps) {
  return {
    interactive_feedback: [
      "Ask the human user a question and get their answer through a web page, instead of guessing when you need a decision, a confirmation or facts only the user has.",
      "Creates a feedback session and returns its feedbackUrl and sessionId.",
      "How to use it:",
      "1. Call with `message` (markdown: what you need and why) and, for quick choices, `predefinedOptions`. Leave `wait` at 0.",
      "2. Show the feedbackUrl to the user in your reply, as a link, and ask them to answer there. The user cannot answer without it.",
      `3. Call get_feedback_result with the sessionId and wait=${caps.maxWait}; repeat while the status is pending.`,
      `4. Act on the answer. ${IF_NO_ANSWER}`,
      `With \`wait\` > 0 this call itself holds until the answer comes or the wait passes. Use that only when the user already knows where to answer: you cannot show the link while the call runs. The wait is shortened so that the call returns while the question is still open (it leaves half the timeout, at most ${CREATE_WAIT_MARGIN_MAX_SECONDS} s); if the result says the user has not opened the page, show the link then. ${
        capSentence(caps)
      }`,
      "Calling again with the same arguments (whatever `wait`) while the question is still open returns that same question instead of asking twice; pass `idempotencyKey` to choose what counts as the same question.",
      `Limits: message up to ${limits.maxMessageLength} characters, at most ${limits.maxOptions} options of up to ${limits.maxOptionLength} characters, timeout ${limits.minTimeout}-${limits.maxTimeout} s (default ${limits.defaultTimeout} s).`,
      imagesSentence(limits),
    ].join("\n"),
    get_feedback_result: [
      "Get the user's answer to a question asked with interactive_feedback. Images the user attached to the answer come back as image content after the text.",
      `With \`wait\` (seconds) the call holds until the answer arrives, the question ends, or the wait passes. ${
        capSentence(caps)
      } The answer wakes it at once, so wait=${caps.maxWait} is better than calling repeatedly with short waits.`,
      `If the status is still pending, call again with the same sessionId. ${IF_NO_ANSWER}`,
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

/** What the tool description says about question images, from the configured limits. */
function imagesSentence(limits: FeedbackLimits): string {
  return limits.maxImages > 0
    ? `To show the user screenshots or pictures with the question, pass \`images\` (at most ${limits.maxImages}, each PNG, JPEG, WebP or GIF of up to ${
      mebibytes(limits.maxImageBytes)
    } decoded): they appear on the page and in the inline form.`
    : "Images are turned off on this server: do not pass `images`.";
}

/** Bytes as MiB for a sentence: `2 MiB`, `1.5 MiB`. */
function mebibytes(bytes: number): string {
  return `${Number((bytes / 1024 / 1024).toFixed(2))} MiB`;
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
  waitCreate: (caps: WaitCaps) =>
    `Seconds to hold this call waiting for the answer (default 0: return at once, then show the link and wait with get_feedback_result). The wait is shortened so that the call returns while the question is still open: it leaves half the timeout, at most ${CREATE_WAIT_MARGIN_MAX_SECONDS} s. ${
      capClause(caps)
    }.`,
  waitResult: (caps: WaitCaps) =>
    `Seconds to wait for the answer (default 0). ${
      capClause(caps)
    }; larger values are treated as the cap.`,
  idempotencyKey:
    "Optional, 1-200 characters: calls with the same key return the same question for as long as it exists (whatever its status) instead of asking again; the same key with other arguments is refused. Without a key, the same arguments return the same question while it is still open.",
  askInClient:
    "Opt-in (default false): also show the question as a form inside your MCP client, when the client supports form elicitation (protocol 2026-07-28); the answer then comes back in this same call. The question is still created and its link still works; clients that cannot show the form get the link as usual. Leave it off unless the user wants to answer in the client: a form shown there stays open even when the user answers on the page first.",
  images: (limits: FeedbackLimits) =>
    limits.maxImages > 0
      ? `Screenshots or pictures shown with the question: at most ${limits.maxImages}, each PNG, JPEG, WebP or GIF of up to ${
        mebibytes(limits.maxImageBytes)
      } (decoded). The type is read from the bytes and must match mimeType; SVG and other types are refused.`
      : "Turned off on this server: any image is refused.",
  imageData: "The image file, base64 (standard alphabet; no `data:` prefix, no line breaks).",
  imageMimeType: 'One of "image/png", "image/jpeg", "image/webp", "image/gif".',
  imageAlt:
    "What the image shows, in a sentence (up to 300 characters): read to users who cannot see it.",
  sessionId: "The sessionId returned by interactive_feedback.",
  status: "Only questions in this state.",
  limit: "How many questions to return (1-50, default 10, newest first).",
} as const;

/** Most sessions one `list_feedback_sessions` call returns. */
export const MAX_LIST_LIMIT = 50;

const NO_ANSWER_NEXT = "Continue without it and do not ask the same question again.";

function nextWaitCall(id: string, wait: number): string {
  return `call get_feedback_result with {"sessionId":"${id}","wait":${wait}}`;
}

function viewedLine(session: FeedbackSession): string {
  return session.viewedAt === undefined
    ? "The user has not opened the page yet."
    : `The user opened the page at ${isoTime(session.viewedAt)} and may still be answering.`;
}

/** What just happened, so the text can say the right next step. */
export type ResultContext =
  | {
    kind: "created";
    /** The call asked to wait but was refused: the owner holds this many waits, the cap. */
    waitRefusedLimit?: number;
    /** The call asked to wait, but storage failed while it waited: the question exists. */
    waitFailed?: boolean;
    /** The same question was already asked and is still open: this is it, not a new one. */
    reused?: boolean;
  }
  | {
    kind: "waited";
    waitedSeconds: number;
    /**
     * The wait ran inside `interactive_feedback`: the agent has not been able to show the link,
     * because the only result carrying it is this one.
     */
    asking: boolean;
    /** The wait the agent asked for, when it was shortened to {@link waitedSeconds}. */
    requestedSeconds?: number;
    /**
     * What shortened it: the question's remaining time (the default), or the longest a call may
     * hold (`MCP_MAX_WAIT`, or 240 s with progress).
     */
    shortenedBy?: "question" | "call";
    /** The same question was already asked and is still open: this is it, not a new one. */
    reused?: boolean;
  }
  | { kind: "status" }
  | { kind: "cancelled" };

/**
 * The text part of a single-session result. An answer always comes first; a pending question
 * carries the link and the next call; a question that ended unanswered says what to do instead,
 * and only says "do not ask again" when the user can have seen it.
 */
export function sessionText(
  session: FeedbackSession,
  feedbackUrl: string,
  context: ResultContext,
  /** The `wait` the next `get_feedback_result` should name: `MCP_MAX_WAIT`. */
  nextWaitSeconds: number,
  options: AnswerTextOptions = {},
): string {
  switch (session.status) {
    case "completed": {
      const text = session.feedback?.combinedFeedback ?? "";
      const images = session.feedback?.images?.length ?? 0;
      return [
        "The user answered:",
        "",
        text === "" && images > 0 ? "(no text: the answer is the images)" : text,
        "",
        ...(images > 0 ? [answerImagesLine(images, options.imagesInResult === true)] : []),
        `Act on this answer. (sessionId ${session.id}, answered at ${
          isoTime(statusTime(session))
        })`,
      ].join("\n");
    }
    case "expired":
      return expiredText(session, context);
    case "cancelled":
      return context.kind === "cancelled"
        ? `Question withdrawn: the user's page now shows that it was withdrawn. No answer will come. ${NO_ANSWER_NEXT}`
        : `No answer came: the question was withdrawn at ${
          isoTime(statusTime(session))
        }. ${NO_ANSWER_NEXT}`;
    case "pending":
      return pendingText(session, feedbackUrl, context, nextWaitSeconds);
  }
}

/** How a single-session result carries the answer's images. */
export interface AnswerTextOptions {
  /** The result holds the answer's images as image content after the text. */
  imagesInResult?: boolean;
}

/** Says how many images came with the answer, and where they are. */
function answerImagesLine(count: number, inResult: boolean): string {
  const what = count === 1 ? "1 image" : `${count} images`;
  return inResult
    ? `The user attached ${what}: ${
      count === 1 ? "it follows" : "they follow"
    } this text as image content, in order. Look at ${count === 1 ? "it" : "them"} before acting.`
    : `The user attached ${what}: call get_feedback_result with this sessionId to receive ${
      count === 1 ? "it" : "them"
    }.`;
}

function expiredText(session: FeedbackSession, context: ResultContext): string {
  const expired = `No answer came: the question expired at ${isoTime(session.expiresAt)}`;
  if (session.viewedAt !== undefined) {
    return `${expired}. The user opened the page at ${
      isoTime(session.viewedAt)
    } but did not answer. ${NO_ANSWER_NEXT}`;
  }
  const why = context.kind === "waited" && context.asking
    ? "The user never opened the page: this call held the link while it waited, so the user has probably not seen the question."
    : "The user never opened the page, so they have probably not seen the question.";
  return [
    `${expired}. ${why}`,
    "Next: tell the user in your reply that this question expired unanswered. Ask it again only if the decision still matters: call interactive_feedback with wait 0, show the new link to the user at once, then call get_feedback_result with the new sessionId. If it no longer matters, continue without the answer.",
  ].join("\n");
}

function pendingText(
  session: FeedbackSession,
  url: string,
  context: ResultContext,
  wait: number,
): string {
  const until = `The question stays open until ${isoTime(session.expiresAt)}.`;
  const nextWait = (id: string) => nextWaitCall(id, wait);
  switch (context.kind) {
    case "created":
      if (context.reused) {
        return [
          `You already asked this question and it is still open: show the same link to the user (do not ask again). ${
            viewedLine(session)
          }`,
          url,
          "",
          `Next: ${nextWait(session.id)}, and call it again while the status is pending. ${until}`,
        ].join("\n");
      }
      if (context.waitRefusedLimit !== undefined) {
        return [
          `Question created, but the wait was not started: too many waits in progress (you already have ${context.waitRefusedLimit} calls waiting for an answer, the most allowed).`,
          "Show this link to the user now and ask them to answer there:",
          url,
          "",
          `Next: once one of your other waits has finished, ${
            nextWait(session.id)
          }, and call it again while the status is pending. ${until}`,
        ].join("\n");
      }
      if (context.waitFailed) {
        return [
          "Question created, but waiting for the answer failed: the service's storage was briefly unavailable. Do not ask again: the question exists.",
          "Show this link to the user now and ask them to answer there:",
          url,
          "",
          `Next: in a few seconds, ${
            nextWait(session.id)
          }, and call it again while the status is pending. ${until}`,
        ].join("\n");
      }
      return [
        "Question created. Show this link to the user now and ask them to answer there:",
        url,
        "",
        `Next: ${nextWait(session.id)}, and call it again while the status is pending. ${until}`,
      ].join("\n");
    case "waited": {
      const shortened = context.requestedSeconds === undefined
        ? ""
        : context.shortenedBy === "call"
        ? ` (your wait of ${context.requestedSeconds} s was shortened to the most one call may hold)`
        : ` (your wait of ${context.requestedSeconds} s was shortened so that the question is still open now)`;
      const again = context.reused
        ? " You already asked this question: this is the same one, still open (do not ask again)."
        : "";
      const head = `No answer yet after ${context.waitedSeconds} s${shortened}.${again}`;
      const next = `Next: ${
        nextWait(session.id)
      }, and call it again while the status is pending. ${until}`;
      if (session.viewedAt !== undefined) {
        return [`${head} ${viewedLine(session)}`, `Link for the user: ${url}`, "", next].join(
          "\n",
        );
      }
      if (context.asking) {
        return [
          `${head} The user has not opened the page: this call held the link while it waited, so the user has probably not seen the question.`,
          "Show this link to the user now and ask them to answer there:",
          url,
          "",
          next,
        ].join("\n");
      }
      return [
        `${head} ${viewedLine(session)}`,
        "If you have not shown the user the link yet, show it now:",
        url,
        "",
        next,
      ].join("\n");
    }
    default:
      return [
        `Status: pending, no answer yet. ${viewedLine(session)}`,
        `Link for the user: ${url}`,
        "",
        `If you have not shown the user this link yet, show it now. To wait for the answer, ${
          nextWait(session.id)
        }. ${until}`,
      ].join("\n");
  }
}

/** What a list call asked for and whether more sessions may exist beyond the page. */
export interface ListContext {
  status?: FeedbackSession["status"];
  limit: number;
  /** More sessions may exist (the service handed back a cursor). */
  more: boolean;
}

/** The text part of `list_feedback_sessions`. */
export function listText(
  rows: { session: FeedbackSession; feedbackUrl: string }[],
  context: ListContext,
): string {
  if (rows.length === 0) {
    return context.status === undefined
      ? "You have no feedback sessions (questions end up here when you ask them with interactive_feedback, and are deleted some time after they end). To ask the user something, call interactive_feedback."
      : `You have no ${context.status} feedback sessions. Call list_feedback_sessions without status to see all of your sessions.`;
  }
  const lines = rows.map(({ session, feedbackUrl }) => {
    const label = session.title ?? preview(session.message, 80);
    const answer = session.status === "completed"
      ? ` - answer: ${preview(session.feedback?.combinedFeedback ?? "", 120)}`
      : "";
    return `- [${session.status}] ${label} (sessionId ${session.id}, ${feedbackUrl})${answer}`;
  });
  const kind = context.status === undefined ? "" : `${context.status} `;
  // A cursor with a short page means the search stopped at its scan limit, not at `limit`.
  const more = !context.more
    ? []
    : context.limit < MAX_LIST_LIMIT && rows.length === context.limit
    ? [
      `There may be older ones: call again with a higher limit (up to ${MAX_LIST_LIMIT}) to see them.`,
    ]
    : context.status === undefined && rows.length === context.limit
    ? [
      `There may be older ones: at most ${MAX_LIST_LIMIT} are shown; filter by status to see others.`,
    ]
    : [
      "There may be older ones that this tool does not reach; the REST API lists them all (GET /api/feedback/list with its cursor).",
    ];
  return [
    `${rows.length} ${kind}session(s), newest first:`,
    ...lines,
    "",
    ...more,
    "Use get_feedback_result with a sessionId to read the answer or wait for it.",
  ].join("\n");
}

/** The message of a progress notification sent while a call waits. */
export function progressText(
  session: FeedbackSession | undefined,
  wait: { feedbackUrl: string; elapsedSeconds: number; waitSeconds: number },
): string {
  const { feedbackUrl, elapsedSeconds, waitSeconds } = wait;
  const seen = session?.viewedAt === undefined
    ? "The user has not opened the page yet"
    : `The user opened the page at ${isoTime(session.viewedAt)}`;
  return `Waiting for the user's answer: ${elapsedSeconds} s of up to ${
    Math.round(waitSeconds)
  } s. ${seen}: ${feedbackUrl}`;
}

/** Safe `isError` texts for the errors a tool call can meet. */
export const ERROR_TEXTS = {
  notFound: (id: string) =>
    `No feedback session ${id} exists for you. Check the sessionId; list_feedback_sessions shows your sessions.`,
  invalid: (reasons: string) => `Invalid arguments: ${reasons}. Fix them and call again.`,
  tooManyPending: (limit: number) =>
    `QUOTA_EXCEEDED: you have ${limit} questions waiting for an answer (the most allowed), so this question was not created. Withdraw the ones that no longer matter with cancel_feedback (list_feedback_sessions with status "pending" shows them) or wait for answers, then ask again.`,
  tooManyWaits: (limit: number) =>
    `QUOTA_EXCEEDED: too many waits in progress: you already have ${limit} calls waiting for an answer (the most allowed), so this wait was not started. The question is unaffected: call get_feedback_result with wait 0 to check it now, or with a wait again once one of your other waits has finished.`,
  alreadyAnswered:
    "This question was already answered, so it cannot be withdrawn. Call get_feedback_result to read the answer.",
  gone: (status: "expired" | "cancelled") =>
    status === "expired"
      ? "This question already expired; there is nothing to withdraw. Continue without its answer."
      : "This question was already withdrawn; there is nothing more to do. Continue without its answer.",
  internal:
    "An internal error occurred. Try the same call once more; if it fails again, tell the user that the feedback service is not working and continue without it.",
  /**
   * A refusal by size or type (413, 415: in practice an image) or by the image storage quota;
   * nothing was stored.
   */
  refused: (code: string, reason: string) =>
    `${code}: ${reason}. Nothing was stored: fix what it names (or leave the image out) and call again.`,
  unavailable: (seconds: number) =>
    `The feedback service is briefly unavailable (its storage did not answer), so this call did not complete. Wait ${seconds} seconds, then make the same call again. If it keeps failing for a minute, tell the user that the feedback service is not working and continue without it.`,
} as const;

/** Texts of the in-client form (`askInClient`, ask_in_client.ts). */
export const ASK_IN_CLIENT_TEXTS = {
  choiceTitle: "Your choice",
  choicesTitle: "Your choices",
  freeTextTitle: "Your answer",
  alsoOnPage: (url: string) => `You can also answer on this page: ${url}`,
  answeredInClient: "The user answered in the form shown by your client; the answer is stored.",
  answeredOnPage: (url: string) =>
    `The user answered on the page (${url}) before the form in your client was sent: that first answer is kept, and the one from the form was not stored.`,
  notAnswered: (action: string, url: string) =>
    `The user closed the form in your client without answering (${action}). The question stays open and can still be answered on the page: ${url}`,
  invalid: (reason: string, url: string) =>
    `The answer from the form in your client was not stored: ${reason}. The question stays open and can still be answered on the page: ${url}`,
  late:
    "The form in your client stayed open too long, so its answer was not stored. The question itself is unaffected.",
  badState:
    "The form's answer was refused: it does not belong to this question. Nothing was stored. Call get_feedback_result with the question's sessionId to check it.",
} as const;
