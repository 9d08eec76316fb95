/**
 * The keys of the strings the feedback island shows. Only the server reads this list (to pass the
 * island those strings in the page's language); the island imports its type alone, so the list
 * stays out of the browser bundle.
 * @module
 */

/** The strings the feedback island shows; the page passes them in its language. */
export const FEEDBACK_APP_MESSAGES = [
  "optionsLegendMulti",
  "optionsLegendSingle",
  "freeTextLabel",
  "freeTextLabelWithOptions",
  "counter",
  "counterOver",
  "submit",
  "sending",
  "shortcutHint",
  "timeLeft",
  "closingNow",
  "thankYouTitle",
  "thankYouBody",
  "answeredTitle",
  "answeredBody",
  "answeredLive",
  "sentOptions",
  "sentText",
  "nothingToShow",
  "expiredTitle",
  "expiredBody",
  "cancelledTitle",
  "cancelledBody",
  "connectionLive",
  "connectionConnecting",
  "connectionOffline",
  "connectionLabel",
  "errorEmpty",
  "errorTooLong",
  "errorInvalid",
  "errorRateLimited",
  "errorNetwork",
  "errorServer",
  "errorUnavailable",
  "errorUnsupported",
] as const;
