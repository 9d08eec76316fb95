/**
 * Storage failures as an answer a client can act on. {@link guardKv} wraps the one `Deno.Kv`
 * handle of an instance so that every call that fails because the store cannot serve it (the
 * handle is closed, SQLite is locked, the disk is full, a remote KV does not answer) throws
 * {@link StorageUnavailableError}: a 503 `SERVICE_UNAVAILABLE` with a `Retry-After`, the original
 * error kept as `cause` for the log only. A mistake in the request itself (a value or key too
 * large, a bad cursor, a malformed key) passes through unchanged, so the callers that turn it
 * into a 413 or a 400 keep working.
 *
 * Watch streams are left as they are: their only reader, `WatchHub`, restarts a failed watch
 * itself and stops one whose handle is closed (which it recognises by `BadResource`).
 * @module
 */
import { AppError } from "./errors.ts";
import { interceptKv } from "./kv_intercept.ts";
import { describeError, type Logger } from "./log.ts";

/** Seconds a client is told to wait before retrying after a storage failure. */
export const STORAGE_RETRY_AFTER_SECONDS = 5;

/** The store could not serve the request; the same request may succeed after `retryAfter` s. */
export class StorageUnavailableError extends AppError {
  constructor(cause: unknown) {
    super(
      "SERVICE_UNAVAILABLE",
      `The service is briefly unavailable: try the same request again in ${STORAGE_RETRY_AFTER_SECONDS} seconds.`,
      { retryAfter: STORAGE_RETRY_AFTER_SECONDS },
      { cause },
    );
  }
}

/**
 * What Deno KV says when the request itself is wrong (Deno 2.x `ext/kv`: `KvErrorKind` and the
 * argument checks of `01_db.ts`). Deno reports SQLite's own failures ("database is locked",
 * "database or disk is full", …) as `TypeError`s too, so the class alone cannot tell them apart.
 */
const REQUEST_MISTAKE =
  /too large|too many|invalid cursor|cursor out of bounds|invalid (range|boundary key|versionstamp|check|mutation|enqueue|backoffSchedule|key)|not in the keyspace|greater than end key|key cannot be empty|must be (positive|greater)|expected (string|number|bigint)|not a promise|before first iteration|delay (must|cannot)/i;

/**
 * True when `error`, thrown by a KV call, means the store could not serve it rather than that
 * the call was wrong: a closed handle (`BadResource`), or any other failure that is not one of
 * KV's argument checks. A failure nobody foresaw is answered "retry later" rather than "internal
 * error": it came from the store, and a request that reached the store was already valid.
 */
export function isStorageFailure(error: unknown): boolean {
  if (error instanceof AppError) return false;
  if (error instanceof Deno.errors.BadResource) return true;
  // Serialising a value the structured clone cannot copy: a bug in the caller.
  if (error instanceof DOMException) return false;
  if (error instanceof Error) return !REQUEST_MISTAKE.test(error.message);
  return true;
}

/** Runs one KV call, turning a storage failure (thrown or rejected) into a 503. */
function guarded<T>(run: () => Promise<T>): Promise<T> {
  const translate = (error: unknown) =>
    Promise.reject(isStorageFailure(error) ? new StorageUnavailableError(error) : error);
  try {
    return run().catch(translate);
  } catch (error) {
    return translate(error);
  }
}

const GUARDED = new WeakSet<Deno.Kv>();

/**
 * Wraps a KV handle so that storage failures of `get`, `getMany`, `set`, `delete`, `enqueue`,
 * `list` (each page) and `atomic().commit()` throw {@link StorageUnavailableError}. Everything
 * else (`watch`, `close`, `instanceof Deno.Kv`) is the handle itself. Wrapping twice is a no-op.
 */
export function guardKv(kv: Deno.Kv): Deno.Kv {
  if (GUARDED.has(kv)) return kv;
  const proxy = interceptKv(kv, (_call, run) => guarded(run));
  GUARDED.add(proxy);
  return proxy;
}

/**
 * Logs a storage failure the same way on every transport: a warning (an outage is expected and
 * may last, so no stack on every request), with the message of the error behind it.
 */
export function logUnavailable(log: Logger, error: AppError, fields: Record<string, unknown> = {}) {
  const cause = error.cause;
  log.warn("storage unavailable", {
    ...fields,
    error: cause instanceof Error ? cause.message : String(cause ?? error.message),
    errorName: cause instanceof Error ? cause.name : undefined,
  });
}

/** True for the 503 of a storage failure, whichever layer threw it. */
export function isUnavailable(error: unknown): error is AppError {
  return error instanceof AppError && error.code === "SERVICE_UNAVAILABLE";
}

/** The `Retry-After` seconds of an unavailable error. */
export function retryAfterOf(error: AppError): number {
  const seconds = error.details?.retryAfter;
  return typeof seconds === "number" && seconds > 0
    ? Math.ceil(seconds)
    : STORAGE_RETRY_AFTER_SECONDS;
}

/** What {@link logFailure} logs: what failed, and the error. */
export interface Failure {
  /** The log line's message (`"expiry sweep failed"`). */
  message: string;
  error: unknown;
}

/**
 * Logs a failure of background work (expiry, owner streams, socket set-up): a storage outage as
 * one warning line, anything else as an error with its stack.
 */
export function logFailure(log: Logger, failure: Failure): void {
  const { message, error } = failure;
  if (isUnavailable(error)) logUnavailable(log, error, { during: message });
  else log.error(message, describeError(error));
}
