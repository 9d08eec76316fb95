/**
 * The feedback form's countdown: the time left until the session expires, ticking once a second
 * on the server's clock, and a call to the page when it reaches zero.
 * @module
 */
import { type ReadonlySignal, useComputed, useSignal, useSignalEffect } from "@preact/signals";

/** How long after zero the page asks the server, so the server's own expiry has run by then. */
const DEADLINE_GRACE_MS = 1500;

/** `m:ss`, or `h:mm:ss` from an hour up. */
export function formatRemaining(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

/** What {@link useCountdown} needs. */
export interface CountdownOptions {
  /** Epoch ms. */
  expiresAt: number;
  /** The server's clock when it rendered the page: the first value, so SSR and hydration agree. */
  renderedAt: number;
  /** Ticks only while true (while the session is pending). */
  running: ReadonlySignal<boolean>;
  /** Called once the time is up (after a short grace), to learn what the server decided. */
  onDeadline: () => void;
}

/** What {@link useCountdown} gives back. */
export interface Countdown {
  /** Milliseconds left; zero or negative once the time is up. */
  remaining: ReadonlySignal<number>;
  /** Aligns the clock with the server's (epoch ms), so a skewed device still counts right. */
  syncWithServer: (serverTime: number) => void;
}

/** The countdown to `expiresAt`, one tick a second while `running`. */
export function useCountdown(options: CountdownOptions): Countdown {
  const { expiresAt, renderedAt, running } = options;
  const now = useSignal(renderedAt);
  const clockOffset = useSignal(0);
  const remaining = useComputed(() => expiresAt - now.value);
  // Changes once, at zero: the deadline's timer is not restarted by every tick after it.
  const timeUp = useComputed(() => remaining.value <= 0);

  useSignalEffect(() => {
    if (!running.value) return;
    const tick = () => {
      now.value = Date.now() + clockOffset.peek();
    };
    tick();
    const timer = setInterval(tick, 1000);
    return () => clearInterval(timer);
  });

  useSignalEffect(() => {
    if (!running.value || !timeUp.value) return;
    const timer = setTimeout(options.onDeadline, DEADLINE_GRACE_MS);
    return () => clearTimeout(timer);
  });

  return {
    remaining,
    syncWithServer: (serverTime) => {
      clockOffset.value = serverTime - Date.now();
    },
  };
}
