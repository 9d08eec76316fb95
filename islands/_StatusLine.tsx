/**
 * The line above the form: the time left, and the live connection's indicator (Live /
 * Connecting… / Offline, retrying), hidden while there is no connection to speak of.
 * @module
 */
import type { ReadonlySignal } from "@preact/signals";
import type { JSX } from "preact";
import { format } from "../lib/i18n.ts";
import { formatRemaining } from "./_countdown.ts";
import type { Connection } from "./_live_status.ts";
import type { FeedbackAppMessages } from "./_props.ts";

/** Under a minute left, the countdown is styled as urgent. */
const SOON_MS = 60_000;

/**
 * The countdown and the connection indicator. Takes the signals themselves, so the tick of every
 * second re-renders this line alone, not the form.
 */
export function StatusLine(
  { remaining: remainingMs, connection: connectionState, messages: t }: {
    remaining: ReadonlySignal<number>;
    connection: ReadonlySignal<Connection>;
    messages: FeedbackAppMessages;
  },
): JSX.Element {
  const remaining = remainingMs.value;
  const connection = connectionState.value;
  return (
    <div class="meta">
      <p class={remaining < SOON_MS ? "countdown soon" : "countdown"} role="timer">
        {remaining > 0 ? format(t.timeLeft, { time: formatRemaining(remaining) }) : t.closingNow}
      </p>
      {connection !== "idle" && (
        <p class="connection" data-state={connection} title={t.connectionLabel}>
          <span class="dot" aria-hidden="true" />
          {connection === "live"
            ? t.connectionLive
            : connection === "connecting"
            ? t.connectionConnecting
            : t.connectionOffline}
        </p>
      )}
    </div>
  );
}
