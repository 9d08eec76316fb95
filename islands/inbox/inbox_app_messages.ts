/**
 * The keys of the strings the inbox island shows (the server passes them in the page's language;
 * the island imports only the type, so the list stays out of the browser bundle).
 * @module
 */

/** The strings the inbox island shows, besides the feedback form's own. */
export const INBOX_APP_MESSAGES = [
  "defaultTitle",
  "inboxPendingTab",
  "inboxHistoryTab",
  "inboxTabsLabel",
  "inboxEmptyPending",
  "inboxEmptyHistory",
  "inboxAnswer",
  "inboxHide",
  "inboxOpenPage",
  "inboxAsked",
  "inboxAgoNow",
  "inboxAgoMinutes",
  "inboxAgoHours",
  "inboxAgoDays",
  "inboxUnread",
  "inboxStatusCompleted",
  "inboxStatusExpired",
  "inboxStatusCancelled",
  "inboxNoAnswer",
  "inboxOffline",
  "inboxAnnounceNew",
  "inboxAnnounceMoved",
  "timeLeft",
  "closingNow",
] as const;

/** The strings of the push switch (`PushToggle`). */
export const PUSH_TOGGLE_MESSAGES = [
  "pushEnable",
  "pushDisable",
  "pushWorking",
  "pushOn",
  "pushOff",
  "pushUnsupported",
  "pushDenied",
  "pushFailed",
] as const;
