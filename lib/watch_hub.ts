/**
 * One `kv.watch` per watched key on this instance, shared by every listener (sockets, waiting
 * requests, MCP calls): a hundred tabs on one session cost one watch. The watch starts with the
 * first listener and is cancelled when the last one leaves. Because events come from KV itself,
 * a write made by any instance reaches every instance's listeners.
 * @module
 */
import { describeError, type Logger } from "./log.ts";

/** Called with each value the key takes (first with its current value). */
export type WatchListener<T> = (value: T | null, versionstamp: string | null) => void;

interface Watch {
  listeners: Set<WatchListener<unknown>>;
  reader: ReadableStreamDefaultReader<Deno.KvEntryMaybe<unknown>[]>;
  latest?: { value: unknown; versionstamp: string | null };
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

  constructor(private readonly kv: Deno.Kv, private readonly log?: Logger) {}

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
    const reader = this.kv.watch([key]).getReader();
    const watch: Watch = { listeners: new Set(), reader };
    this.#watches.set(id, watch);
    (async () => {
      try {
        while (true) {
          const { done, value } = await reader.read();
          if (done) break;
          const [entry] = value;
          watch.latest = { value: entry.value, versionstamp: entry.versionstamp };
          for (const listener of [...watch.listeners]) {
            try {
              listener(entry.value, entry.versionstamp);
            } catch (error) {
              this.log?.error("watch listener failed", describeError(error));
            }
          }
        }
      } catch (error) {
        if (this.#watches.get(id) === watch) {
          this.log?.error("kv.watch failed", { key: id, ...describeError(error) });
        }
      } finally {
        if (this.#watches.get(id) === watch) this.#watches.delete(id);
      }
    })();
    return watch;
  }

  #stop(id: string, watch: Watch): void {
    this.#watches.delete(id);
    watch.reader.cancel().catch(() => {});
  }
}
