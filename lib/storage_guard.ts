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

/** Rethrows `error` as {@link StorageUnavailableError} when it is a storage failure. */
function translate(error: unknown): never {
  throw isStorageFailure(error) ? new StorageUnavailableError(error) : error;
}

/** Runs one KV call, translating both a synchronous throw and a rejection. */
function guarded<T>(run: () => Promise<T>): Promise<T> {
  try {
    return run().catch(translate);
  } catch (error) {
    return Promise.reject(isStorageFailure(error) ? new StorageUnavailableError(error) : error);
  }
}

/** An atomic operation whose `commit()` is guarded; its builder methods keep returning it. */
function guardAtomic(op: Deno.AtomicOperation): Deno.AtomicOperation {
  const proxy: Deno.AtomicOperation = new Proxy(op, {
    get(target, prop) {
      if (prop === "commit") return () => guarded(() => target.commit());
      const value = Reflect.get(target, prop, target);
      if (typeof value !== "function") return value;
      // Deno's methods use private fields, so they run on the real object; `this` comes back
      // as the proxy so a chain ends in the guarded `commit()`.
      return (...args: unknown[]) => {
        const out = value.apply(target, args);
        return out === target ? proxy : out;
      };
    },
  });
  return proxy;
}

/** A list iterator whose pages are fetched through the guard; `cursor` reads through. */
function guardIterator<T>(iter: Deno.KvListIterator<T>): Deno.KvListIterator<T> {
  const proxy: Deno.KvListIterator<T> = new Proxy(iter, {
    get(target, prop) {
      if (prop === "next") return () => guarded(() => target.next());
      if (prop === Symbol.asyncIterator) return () => proxy;
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return proxy;
}

const GUARDED = new WeakSet<Deno.Kv>();

/**
 * Wraps a KV handle so that storage failures of `get`, `getMany`, `set`, `delete`, `enqueue`,
 * `list` (each page) and `atomic().commit()` throw {@link StorageUnavailableError}. Everything
 * else (`watch`, `close`, `instanceof Deno.Kv`) is the handle itself. Wrapping twice is a no-op.
 */
export function guardKv(kv: Deno.Kv): Deno.Kv {
  if (GUARDED.has(kv)) return kv;
  const methods: Partial<Record<keyof Deno.Kv, unknown>> = {
    get: (...args: Parameters<Deno.Kv["get"]>) => guarded(() => kv.get(...args)),
    getMany: (...args: Parameters<Deno.Kv["getMany"]>) => guarded(() => kv.getMany(...args)),
    set: (...args: Parameters<Deno.Kv["set"]>) => guarded(() => kv.set(...args)),
    delete: (...args: Parameters<Deno.Kv["delete"]>) => guarded(() => kv.delete(...args)),
    enqueue: (...args: Parameters<Deno.Kv["enqueue"]>) => guarded(() => kv.enqueue(...args)),
    atomic: () => guardAtomic(kv.atomic()),
    list: (...args: Parameters<Deno.Kv["list"]>) => guardIterator(kv.list(...args)),
  };
  const proxy = new Proxy(kv, {
    get(target, prop) {
      if (typeof prop === "string" && Object.hasOwn(methods, prop)) {
        return methods[prop as keyof Deno.Kv];
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
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

/**
 * Logs a failure of background work (expiry, owner streams, socket set-up): a storage outage as
 * one warning line, anything else as an error with its stack.
 */
export function logFailure(log: Logger, message: string, error: unknown): void {
  if (isUnavailable(error)) logUnavailable(log, error, { during: message });
  else log.error(message, describeError(error));
}
