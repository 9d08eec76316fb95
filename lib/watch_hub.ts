/**
 * One `kv.watch` per watched key on this instance, shared by every listener (sockets, waiting
 * requests, MCP calls): a hundred tabs on one session cost one watch. The watch starts with the
 * first listener and is cancelled when the last one leaves. Because events come from KV itself,
 * a write made by any instance reaches every instance's listeners. A watch stream that fails or
 * ends while listeners remain is restarted after a short backoff; the fresh stream's first value
 * reaches the listeners only if the key changed meanwhile, so none goes silent for good.
 * @module
 */
import { describeError, type Logger } from "./log.ts";

/** Called with each value the key takes (first with its current value). */
export type WatchListener<T> = (value: T | null, versionstamp: string | null) => void;

interface Watch {
  key: Deno.KvKey;
  listeners: Set<WatchListener<unknown>>;
  /** The stream being read; replaced when the watch restarts. */
  reader?: ReadableStreamDefaultReader<Deno.KvEntryMaybe<unknown>[]>;
  latest?: { value: unknown; versionstamp: string | null };
  /** Set once the last listener left or the hub closed: the watch must not restart. */
  stopped: boolean;
  /** Restarts that failed in a row (the next waits longer). */
  failures: number;
  /** The pending restart, if any. */
  retry?: ReturnType<typeof setTimeout>;
}

/** Options of {@link WatchHub}. */
export interface WatchHubOptions {
  /** Where failing watches are reported (nowhere without it). */
  log?: Logger;
  /** First wait before restarting a watch that failed or ended; it doubles up to 5 s. */
  retryDelayMs?: number;
}

/** Longest wait between two restarts of a failing watch. */
const MAX_RETRY_DELAY_MS = 5000;

/** The wait before restart number `failures` (1, 2, …): doubling from `base`, capped at 5 s. */
export function retryDelay(failures: number, base: number): number {
  return Math.min(MAX_RETRY_DELAY_MS, base * 2 ** Math.max(0, failures - 1));
}

/**
 * The kind of a key, for the log: its namespace and kind (`["feedback", "session", ":id"]`). The
 * parts after those are session ids (capabilities) or owner names, which must never be logged.
 */
function keyKind(key: Deno.KvKey): string {
  return JSON.stringify(key.map((part, i) => i < 2 ? part : ":id"));
}

/** Counters for tests and benchmarks. */
export interface WatchHubStats {
  /** Open `kv.watch` streams. */
  watches: number;
  /** Listeners across all watches. */
  listeners: number;
}

/** Shares KV watches between listeners of the same key. */
export class WatchHub {
  #watches = new Map<string, Watch>();
  #closed = false;
  readonly #retryDelayMs: number;
  readonly #kv: Deno.Kv;
  readonly #log?: Logger;

  constructor(kv: Deno.Kv, options: WatchHubOptions = {}) {
    this.#kv = kv;
    this.#log = options.log;
    this.#retryDelayMs = options.retryDelayMs ?? 100;
  }

  /**
   * Calls `listener` whenever `key` changes, starting with its current value.
   * Returns the function that stops listening.
   */
  subscribe<T>(key: Deno.KvKey, listener: WatchListener<T>): () => void {
    if (this.#closed) throw new Error("WatchHub is closed");
    const id = JSON.stringify(key);
    let watch = this.#watches.get(id);
    if (!watch) {
      watch = this.#start(id, key);
    } else if (watch.latest) {
      // A late joiner gets the current value at once, as a fresh kv.watch would give it.
      const { value, versionstamp } = watch.latest;
      queueMicrotask(() => {
        if (watch!.listeners.has(listener as WatchListener<unknown>)) {
          (listener as WatchListener<unknown>)(value, versionstamp);
        }
      });
    }
    watch.listeners.add(listener as WatchListener<unknown>);
    return () => {
      const current = this.#watches.get(id);
      if (!current || !current.listeners.delete(listener as WatchListener<unknown>)) return;
      if (current.listeners.size === 0) this.#stop(id, current);
    };
  }

  /** Current counts of watches and listeners. */
  stats(): WatchHubStats {
    let listeners = 0;
    for (const w of this.#watches.values()) listeners += w.listeners.size;
    return { watches: this.#watches.size, listeners };
  }

  /** Cancels every watch; later subscriptions fail. */
  close(): void {
    this.#closed = true;
    for (const [id, watch] of this.#watches) this.#stop(id, watch);
  }

  #start(id: string, key: Deno.KvKey): Watch {
    const watch: Watch = { key, listeners: new Set(), stopped: false, failures: 0 };
    this.#watches.set(id, watch);
    this.#run(id, watch);
    return watch;
  }

  /** Reads one `kv.watch` stream to its end, then schedules a restart unless stopped. */
  async #run(id: string, watch: Watch): Promise<void> {
    try {
      const reader = this.#kv.watch([watch.key]).getReader();
      watch.reader = reader;
      while (true) {
        const { done, value } = await reader.read();
        if (done) break;
        const [entry] = value;
        // A restarted stream starts with the current value: news only if the key moved meanwhile.
        if (watch.latest && watch.latest.versionstamp === entry.versionstamp) continue;
        // Only news proves the stream healthy: one that fails right after its first value keeps
        // backing off.
        watch.failures = 0;
        watch.latest = { value: entry.value, versionstamp: entry.versionstamp };
        for (const listener of [...watch.listeners]) {
          try {
            listener(entry.value, entry.versionstamp);
          } catch (error) {
            this.#log?.error("watch listener failed", describeError(error));
          }
        }
      }
      if (watch.stopped) return;
      this.#log?.warn("kv.watch ended; restarting", { key: keyKind(watch.key) });
    } catch (error) {
      if (watch.stopped) return;
      if (error instanceof Deno.errors.BadResource) {
        // The KV handle is closed: nothing to restart against.
        this.#log?.error("kv.watch failed: KV is closed", { key: keyKind(watch.key) });
        this.#stop(id, watch);
        return;
      }
      this.#log?.error("kv.watch failed; restarting", {
        key: keyKind(watch.key),
        ...describeError(error),
      });
    }
    watch.reader = undefined;
    watch.failures++;
    watch.retry = setTimeout(() => {
      watch.retry = undefined;
      if (!watch.stopped) this.#run(id, watch);
    }, retryDelay(watch.failures, this.#retryDelayMs));
  }

  #stop(id: string, watch: Watch): void {
    watch.stopped = true;
    if (this.#watches.get(id) === watch) this.#watches.delete(id);
    clearTimeout(watch.retry);
    watch.reader?.cancel().catch(() => {});
  }
}
