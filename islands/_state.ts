/**
 * The feedback island's state as signals, and the small actions that change it. One set per island
 * (created in the component, never at module level: the server renders every page in one
 * process). The view reads `.value` and re-renders on change; what outlives a render (the socket,
 * the timers, the submit's `await`) reads the same signals, so it never sees a stale value.
 * @module
 */
import { batch, computed, type ReadonlySignal, type Signal, signal } from "@preact/signals";
import { createRef, type RefObject } from "preact";
import type { SessionStatus } from "../lib/feedback/model.ts";
import { fetchIslandProps } from "../lib/islands/client.ts";
import type { AnswerView, FeedbackAppMessages, FeedbackAppProps } from "./_props.ts";

/** A state the page turns to when it learns the session is over. */
export type FinalStatus = "completed" | "expired" | "cancelled";

/** What the page announces when it learns of a final state from elsewhere. */
const NEWS: Record<FinalStatus, keyof FeedbackAppMessages> = {
  completed: "answeredLive",
  expired: "expiredTitle",
  cancelled: "cancelledTitle",
};

/** The island's state and actions. */
export interface FeedbackState {
  /** The session's status as this page knows it. */
  status: Signal<SessionStatus>;
  /** The form is shown: the socket, countdown, draft and shortcuts run only while true. */
  pending: ReadonlySignal<boolean>;
  /** What was sent, once the session is completed. */
  answer: Signal<AnswerView | null>;
  /** The answer was sent from this page (the thank-you view). */
  sentHere: Signal<boolean>;
  /** The ticked options. */
  selected: Signal<string[]>;
  /** The free text as typed. */
  text: Signal<string>;
  /** The form's error, localized. */
  error: Signal<string | null>;
  /** A submit is in flight. */
  busy: Signal<boolean>;
  /** The text of the live region. */
  announcement: Signal<string>;
  /** The announcement is news from elsewhere, also shown as a toast. */
  toast: Signal<boolean>;
  /** The error's element, focused when an error is shown. */
  errorRef: RefObject<HTMLDivElement | null>;
  /** Ticks or unticks an option (a radio replaces the choice). */
  toggle(option: string): void;
  /** The free text changed. */
  edit(text: string): void;
  /** Shows `message` as the form's error and moves focus to it. */
  showError(message: string): void;
  /** The server took `answer` from this page: the thank-you view. */
  accept(answer: AnswerView): void;
  /** Turns to a final state learnt from elsewhere, then asks the page what the server knows. */
  turnTo(status: FinalStatus): Promise<void>;
  /** A status the live socket announced; anything but a final state is ignored. */
  onLiveStatus(status: string): void;
}

/** The state of one feedback island, starting from its props (as the server rendered it). */
export function createFeedbackState(props: FeedbackAppProps): FeedbackState {
  const t = props.messages;
  const status = signal<SessionStatus>(props.status);
  const answer = signal<AnswerView | null>(props.answer);
  const selected = signal<string[]>(props.draft.selectedOptions);
  const busy = signal(false);
  const error = signal<string | null>(props.error);
  const announcement = signal("");
  const toast = signal(false);
  const sentHere = signal(props.sentHere);
  const text = signal(props.draft.freeText);
  const errorRef = createRef<HTMLDivElement>();

  const turnTo = async (final: FinalStatus) => {
    if (status.peek() === final) return;
    batch(() => {
      status.value = final;
      announcement.value = t[NEWS[final]];
      toast.value = true;
    });
    try {
      const fresh = await fetchIslandProps<FeedbackAppProps>(location.pathname, "FeedbackApp");
      if (fresh) {
        batch(() => {
          status.value = fresh.status;
          answer.value = fresh.answer;
        });
      }
    } catch { /* offline: the final view stands */ }
  };

  return {
    status,
    pending: computed(() => status.value === "pending"),
    answer,
    sentHere,
    selected,
    text,
    error,
    busy,
    announcement,
    toast,
    errorRef,
    toggle(option) {
      error.value = null;
      const current = selected.peek();
      selected.value = current.includes(option)
        ? current.filter((o) => o !== option)
        : props.multiSelect
        ? [...current, option]
        : [option];
    },
    edit(value) {
      batch(() => {
        error.value = null;
        text.value = value;
      });
    },
    showError(message) {
      error.value = message;
      errorRef.current?.focus();
    },
    accept(sent) {
      batch(() => {
        answer.value = { ...sent, freeText: sent.freeText.trim() };
        sentHere.value = true;
        status.value = "completed";
        announcement.value = t.thankYouTitle;
      });
    },
    turnTo,
    onLiveStatus(current) {
      // While this page's own submit is in flight, `completed` is its answer, not news.
      if (current === "completed" && !busy.peek()) turnTo("completed");
      if (current === "expired" || current === "cancelled") turnTo(current);
    },
  };
}
