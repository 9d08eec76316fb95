/**
 * Waiting in tests: wait for the condition the next step needs, never for a guessed time. The
 * deadline is generous (only a real failure reaches it, however loaded the machine), and a
 * failure names what did not happen. Dependency-free, so unit tests beside their modules in
 * `lib/` can use it without loading the app.
 *
 * The one honest exception is showing that something does *not* happen (no duplicate, no leak):
 * only a quiet period can show that, so {@link quietPeriod} names it, and it stays short.
 * @module
 */

/** Options of {@link eventually}. */
export interface EventuallyOptions {
  /** Longest wait before failing; generous by default. */
  timeoutMs?: number;
  /** Time between two looks at the condition. */
  intervalMs?: number;
  /** What the condition stands for, for the failure message ("the watch is released"). */
  what?: string;
}

/**
 * Resolves once `condition` holds; throws naming what it stands for if it does not within the
 * timeout. `options` may be just that name: `eventually(() => seen.length === 2, "the change")`.
 */
export async function eventually(
  condition: () => boolean | Promise<boolean>,
  options: EventuallyOptions | string = {},
): Promise<void> {
  const {
    timeoutMs = 10_000,
    intervalMs = 10,
    what = "the condition",
  } = typeof options === "string" ? { what: options } : options;
  const deadline = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > deadline) {
      throw new Error(`${what}: did not happen within ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * Waits `ms` on purpose, for asserting that nothing (more) happens meanwhile: the only wait that
 * is not a condition. Use it only for such a negative assertion, and keep it short.
 */
export function quietPeriod(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
