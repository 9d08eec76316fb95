/**
 * Waiting for an answer inside a tool call: woken by the shared KV watch (through
 * `FeedbackService.waitForSettled`), with progress notifications while it waits. Every timer and
 * subscription it starts is released when the wait ends, whether by an answer, the deadline or
 * the client going away (the call's abort signal).
 * @module
 */
import type { FeedbackSession } from "../feedback/model.ts";
import type { FeedbackService } from "../feedback/service.ts";
import { progressText } from "./texts.ts";

/** One progress notification's parameters (MCP `notifications/progress`). */
export interface ProgressUpdate {
  /**
   * Seconds waited so far, rounded to the notification interval (whole seconds: 0, 10, 20, … at
   * the default interval); grows with every notification, as the spec requires.
   */
  progress: number;
  /** The seconds the call may wait in all. */
  total: number;
  message: string;
}

/** Options of {@link waitForAnswer}. */
export interface WaitOptions {
  owner: string;
  waitMs: number;
  feedbackUrl: string;
  /** Ends the wait early (the client cancelled or disconnected). */
  signal?: AbortSignal;
  /** Sends one progress notification; absent when the client gave no progress token. */
  progress?: (update: ProgressUpdate) => Promise<void>;
  /** Time between progress notifications. */
  progressIntervalMs: number;
}

/**
 * Waits until `session` leaves `pending`, `waitMs` passes, or the signal aborts, and returns
 * the session as it then is. Sends a progress notification at once and then every interval.
 */
export async function waitForAnswer(
  feedback: FeedbackService,
  session: FeedbackSession,
  options: WaitOptions,
): Promise<FeedbackSession> {
  const { id } = session;
  const started = Date.now();
  const waitSeconds = options.waitMs / 1000;
  let latest = session;
  let stopWatching = () => {};
  let timer: ReturnType<typeof setInterval> | undefined;

  if (options.progress && options.waitMs > 0 && session.status === "pending") {
    const send = options.progress;
    // The same shared watch that wakes the wait tells us when the page is opened (`viewedAt`).
    stopWatching = feedback.watchSession(id, (value) => {
      if (value) latest = value;
    });
    const interval = options.progressIntervalMs;
    let last = -1;
    const tick = () => {
      const elapsed = Math.round((Date.now() - started) / interval) * interval / 1000;
      if (elapsed <= last) return; // progress must strictly increase
      last = elapsed;
      send({
        progress: elapsed,
        total: waitSeconds,
        message: progressText(latest, options.feedbackUrl, elapsed, waitSeconds),
      }).catch(() => {}); // the stream may already be gone; the wait ends through the signal
    };
    timer = setInterval(tick, options.progressIntervalMs);
    queueMicrotask(tick);
  }

  try {
    // The service bounds the wait by the question's deadline and re-reads it with expiry applied,
    // so a wait that ends at the deadline already sees `expired`.
    return await feedback.waitForSettled(id, {
      owner: options.owner,
      waitMs: options.waitMs,
      signal: options.signal,
    });
  } finally {
    clearInterval(timer);
    stopWatching();
  }
}
