/**
 * A fault injector around a REAL Deno KV: every call goes to the real store unless a fault is
 * armed for its operation, in which case it throws the error Deno itself throws for that fault.
 * A locked or full SQLite file cannot be produced on demand inside a test (it takes a second
 * process holding a lock for five seconds, or a tiny file system), so the failure is injected;
 * everything else (data, atomicity, versionstamps, watches) is the real KV.
 */

/** The KV operations a fault can be armed for. */
export type KvOperation = "get" | "getMany" | "list" | "commit" | "set" | "delete";

/**
 * The errors Deno 2.x throws, as observed against a real SQLite-backed KV: SQLite's own message
 * in a `TypeError` (after a 5 s busy timeout for a lock), and `BadResource` once the handle is
 * closed.
 */
export const KV_FAULTS = {
  locked: () => new TypeError("database is locked"),
  diskFull: () => new TypeError("database or disk is full"),
  closed: () => new Deno.errors.BadResource("Bad resource ID"),
} as const;

/** A real KV with switchable faults. */
export class FaultyKv {
  /** The KV to hand to the code under test. */
  readonly kv: Deno.Kv;
  #faults = new Map<KvOperation, () => Error>();
  /** Calls that hit an armed fault, per operation. */
  readonly hits = new Map<KvOperation, number>();

  constructor(readonly real: Deno.Kv) {
    const fault = (op: KvOperation) => {
      const make = this.#faults.get(op);
      if (!make) return;
      this.hits.set(op, (this.hits.get(op) ?? 0) + 1);
      throw make();
    };
    const rejecting = <T>(op: KvOperation, run: () => Promise<T>): Promise<T> => {
      try {
        fault(op);
      } catch (error) {
        return Promise.reject(error);
      }
      return run();
    };
    const atomic = (): Deno.AtomicOperation => {
      const op = real.atomic();
      const proxy: Deno.AtomicOperation = new Proxy(op, {
        get(target, prop) {
          if (prop === "commit") return () => rejecting("commit", () => target.commit());
          const value = Reflect.get(target, prop, target);
          if (typeof value !== "function") return value;
          return (...args: unknown[]) => {
            const out = value.apply(target, args);
            return out === target ? proxy : out;
          };
        },
      });
      return proxy;
    };
    const list = <T>(selector: Deno.KvListSelector, options?: Deno.KvListOptions) => {
      const iter = real.list<T>(selector, options);
      const proxy: Deno.KvListIterator<T> = new Proxy(iter, {
        get(target, prop) {
          if (prop === "next") {
            return () => rejecting("list", () => target.next());
          }
          if (prop === Symbol.asyncIterator) return () => proxy;
          const value = Reflect.get(target, prop, target);
          return typeof value === "function" ? value.bind(target) : value;
        },
      });
      return proxy;
    };
    const overrides: Record<string, unknown> = {
      get: (key: Deno.KvKey, options?: { consistency?: Deno.KvConsistencyLevel }) =>
        rejecting("get", () => real.get(key, options)),
      getMany: (keys: Deno.KvKey[], options?: { consistency?: Deno.KvConsistencyLevel }) =>
        rejecting("getMany", () => real.getMany(keys, options)),
      set: (key: Deno.KvKey, value: unknown, options?: { expireIn?: number }) =>
        rejecting("set", () => real.set(key, value, options)),
      delete: (key: Deno.KvKey) => rejecting("delete", () => real.delete(key)),
      atomic,
      list,
    };
    this.kv = new Proxy(real, {
      get(target, prop) {
        if (typeof prop === "string" && Object.hasOwn(overrides, prop)) return overrides[prop];
        const value = Reflect.get(target, prop, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  }

  /** Makes every later call of `ops` throw `error()` until {@link heal}. */
  fail(ops: KvOperation | KvOperation[], error: () => Error = KV_FAULTS.locked): void {
    for (const op of [ops].flat()) this.#faults.set(op, error);
  }

  /** Removes every fault: the store answers normally again. */
  heal(): void {
    this.#faults.clear();
  }
}
