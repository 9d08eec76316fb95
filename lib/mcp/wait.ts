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

/**
 * The longest any tool call may hold, in seconds, even when the client asked for progress. A
 * client that restarts its timeout on every notification would wait for ever, but what lies
 * between it and us would not: proxies, load balancers and `mcp-remote` cut a request after a few
 * minutes whatever flows through it, and a held call keeps the agent from talking to its user.
 * Four minutes stays under the common five-minute limits and is worth several short calls.
 */
export const MAX_PROGRESS_HOLD_SECONDS = 240;

/**
 * The longest time between two progress notifications. Clients that restart their timeout on
 * progress are set up for the 60 s of a silent call; 15 s leaves room for slow links and proxies.
 */
export const MAX_PROGRESS_INTERVAL_MS = 15_000;

/**
 * How long one call may hold, in seconds: `maxWait` (`MCP_MAX_WAIT`) without a progress token,
 * since such a client hears nothing until the result and gives up at its own timeout; with one,
 * `progressHold` (`MCP_PROGRESS_HOLD`, by default the same), never past
 * {@link MAX_PROGRESS_HOLD_SECONDS}.
 */
export function holdLimitSeconds(
  caps: { maxWait: number; progressHold: number },
  hasProgressToken: boolean,
): number {
  const seconds = hasProgressToken ? Math.max(caps.maxWait, caps.progressHold) : caps.maxWait;
  return Math.min(seconds, MAX_PROGRESS_HOLD_SECONDS);
}

/** Hold limits from this many seconds up are spread (see {@link spreadHoldLimit}). */
export const SPREAD_FROM_SECONDS = 20;

/** The largest share of a hold limit that {@link spreadHoldLimit} takes off. */
const SPREAD_SHARE = 0.15;

/**
 * A hold limit for one call: `seconds`, less a random whole number of seconds up to 15 % of it
 * (45 s becomes 39–45 s) when it is {@link SPREAD_FROM_SECONDS} or more. Agents call again as
 * soon as a hold ends, so calls that began together (every agent after a restart or a deploy)
 * would end together at every limit, a wave of calls the instance must open at once; with random
 * ends each wave is wider than the one before. Shorter limits are kept as they are.
 */
export function spreadHoldLimit(seconds: number, random: () => number = Math.random): number {
  if (seconds < SPREAD_FROM_SECONDS) return seconds;
  const most = Math.floor(seconds * SPREAD_SHARE);
  return seconds - Math.floor(random() * (most + 1));
}

/** Throws unless `ms` is a usable progress interval: positive, at most 15 s. */
export function checkProgressInterval(ms: number): number {
  if (!(ms > 0 && ms <= MAX_PROGRESS_INTERVAL_MS)) {
    throw new RangeError(
      `progressIntervalMs must lie in (0, ${MAX_PROGRESS_INTERVAL_MS}] (got ${ms}): clients that keep waiting on progress need it at least every 15 s`,
    );
  }
  return ms;
}

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
        message: progressText(latest, {
          feedbackUrl: options.feedbackUrl,
          elapsedSeconds: elapsed,
          waitSeconds,
        }),
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
