/**
 * Which localized message explains a failed answer, from the error code and field of the API's
 * envelope (contract §3). Shared by the island (after `fetch`) and the no-JS POST route, so both
 * say the same thing in the page's language.
 * @module
 */

/** The message keys an answer error can map to. */
export type AnswerErrorKey =
  | "errorEmpty"
  | "errorTooLong"
  | "errorInvalid"
  | "errorRateLimited"
  | "errorServer"
  | "errorUnavailable"
  | "errorUnsupported";

/** Picks the message for an error `code` (and, for `INVALID_REQUEST`, its first field/reason). */
export function answerErrorKey(
  code: string | undefined,
  field?: string,
  reason?: string,
): AnswerErrorKey {
  switch (code) {
    case "INVALID_REQUEST":
      if (field === "feedback") return "errorEmpty";
      if (field === "freeText" && reason?.startsWith("must be at most")) return "errorTooLong";
      return "errorInvalid";
    case "PAYLOAD_TOO_LARGE":
      return "errorTooLong";
    case "UNSUPPORTED_MEDIA_TYPE":
      return "errorUnsupported";
    case "RATE_LIMITED":
      return "errorRateLimited";
    case "SERVICE_UNAVAILABLE":
      return "errorUnavailable";
    default:
      return "errorServer";
  }
}
