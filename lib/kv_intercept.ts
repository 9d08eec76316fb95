/**
 * One `Deno.Kv` handle seen through a function of the caller's: {@link interceptKv} runs every
 * call that reaches the store through it, to translate its errors (the storage guard), fail it
 * on demand (the tests' fault injector) or count it (the rate limiter's tests and benchmark).
 * Everything else (`watch`, `close`, `instanceof Deno.Kv`) is the handle itself.
 * @module
 */

/**
 * The calls that reach the store, as an interceptor sees them: `commit` is `atomic().commit()`
 * (the builder methods before it stay local), `list` is each page a list iterator fetches.
 */
export type KvCall = "get" | "getMany" | "set" | "delete" | "enqueue" | "list" | "commit";

/** Runs `run`, the real call, on behalf of `call`, and answers in its place. */
export type KvInterceptor = <T>(call: KvCall, run: () => Promise<T>) => Promise<T>;

/**
 * Deno's objects keep their state in private fields, so a method must run on the real object:
 * every other function is bound to `target`, and one that returns `target` (an atomic
 * operation's builder methods) returns `proxy` instead, so that a chain ends in the proxy's own
 * override.
 */
function proxied<T extends object>(target: T, overrides: Partial<Record<keyof T, unknown>>): T {
  const proxy: T = new Proxy(target, {
    get(real, prop) {
      if (Object.hasOwn(overrides, prop)) return overrides[prop as keyof T];
      const value = Reflect.get(real, prop, real);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        const out = value.apply(real, args);
        return out === real ? proxy : out;
      };
    },
  });
  return proxy;
}

function interceptList<T>(
  iter: Deno.KvListIterator<T>,
  around: KvInterceptor,
): Deno.KvListIterator<T> {
  const proxy: Deno.KvListIterator<T> = proxied(iter, {
    next: () => around("list", () => iter.next()),
    [Symbol.asyncIterator]: () => proxy,
  });
  return proxy;
}

/** `kv` with every call that reaches the store (see {@link KvCall}) run through `around`. */
export function interceptKv(kv: Deno.Kv, around: KvInterceptor): Deno.Kv {
  return proxied(kv, {
    get: (...args: Parameters<Deno.Kv["get"]>) => around("get", () => kv.get(...args)),
    getMany: (...args: Parameters<Deno.Kv["getMany"]>) =>
      around("getMany", () => kv.getMany(...args)),
    set: (...args: Parameters<Deno.Kv["set"]>) => around("set", () => kv.set(...args)),
    delete: (...args: Parameters<Deno.Kv["delete"]>) => around("delete", () => kv.delete(...args)),
    enqueue: (...args: Parameters<Deno.Kv["enqueue"]>) =>
      around("enqueue", () => kv.enqueue(...args)),
    atomic: () => {
      const op = kv.atomic();
      return proxied(op, { commit: () => around("commit", () => op.commit()) });
    },
    list: (...args: Parameters<Deno.Kv["list"]>) => interceptList(kv.list(...args), around),
  });
}
