/**
 * The KV watches of this instance, shared by every listener (sockets, waiting requests, MCP
 * calls): a hundred tabs on one session cost one watched key, and keys are watched ten to a
 * `kv.watch` stream (the most one call takes), so ten thousand waiting agents cost about a
 * thousand streams. Because events come from KV itself, a write made by any instance reaches
 * every instance's listeners.
 *
 * Batching: a new key joins the batch that is forming; a batch starts at once when it is the
 * first for a while, and otherwise when it holds ten keys or {@link WatchHubOptions.batchWindowMs}
 * after the previous start, so a quiet instance adds no delay and a busy one fills its streams. A
 * started batch never changes its keys (a `kv.watch` cannot add one without a restart): a key
 * whose last listener leaves stays watched, current and ready for the next listener (an agent
 * polling again gets it back without a new stream), until no key of its batch has a listener;
 * then the stream is cancelled. A stream that fails or ends while listeners remain is restarted
 * after a short backoff with the keys still listened to; the fresh stream's first value reaches
 * the listeners only for keys that changed meanwhile, so none goes silent for good.
 * @module
 */
import { describeError, type Logger } from "./log.ts";

/** Called with each value the key takes (first with its current value). */
export type WatchListener<T> = (value: T | null, versionstamp: string | null) => void;

/** The most keys one `kv.watch` call accepts. */
export const MAX_KEYS_PER_WATCH = 10;

/** One watched key: its listeners and the last value its stream gave. */
interface KeyWatch {
  id: string;
  key: Deno.KvKey;
  listeners: Set<WatchListener<unknown>>;
  latest?: { value: unknown; versionstamp: string | null };
  /** The stream that watches it; absent while its batch is forming. */
  batch?: Batch;
}

/** One `kv.watch` stream over up to ten keys. */
interface Batch {
  keys: KeyWatch[];
  /** Keys of this batch with at least one listener; the stream is cancelled at 0. */
  live: number;
  /** The stream being read; replaced when the batch restarts. */
  reader?: ReadableStreamDefaultReader<Deno.KvEntryMaybe<unknown>[]>;
  /** Set once no key has a listener or the hub closed: the stream must not restart. */
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
  /**
   * Shortest time between two batch starts while keys keep arriving (default 20 ms): the most a
   * busy instance delays a new key's first value to fill a stream. A full batch starts at once.
   */
  batchWindowMs?: number;
}

/** Longest wait between two restarts of a failing watch. */
const MAX_RETRY_DELAY_MS = 5000;
/** Default {@link WatchHubOptions.batchWindowMs}. */
const DEFAULT_BATCH_WINDOW_MS = 20;

/** The wait before restart number `failures` (1, 2, …): doubling from `base`, capped at 5 s. */
export function retryDelay(failures: number, base: number): number {
  return Math.min(MAX_RETRY_DELAY_MS, base * 2 ** Math.max(0, failures - 1));
}

/**
 * The kinds of a batch's keys, for the log: each key's namespace and kind
 * (`["feedback", "session", ":id"]`). The parts after those are session ids (capabilities) or
 * owner names, which must never be logged.
 */
function keyKinds(keys: KeyWatch[]): string[] {
  const kinds = keys.map(({ key }) => JSON.stringify(key.map((part, i) => i < 2 ? part : ":id")));
  return [...new Set(kinds)];
}

/** Counters for tests and benchmarks. */
export interface WatchHubStats {
  /** Keys watched for at least one listener. */
  watches: number;
  /** Listeners across all keys. */
  listeners: number;
}

/** What the watched keys cost in streams, for benchmarks and tests. */
export interface WatchStreamStats {
  /** Open `kv.watch` streams (each over up to ten keys). */
  streams: number;
  /** Keys held: listened to, kept current in a live stream, or waiting for their batch. */
  keys: number;
  /** Keys waiting for their batch to start. */
  forming: number;
}

/** Shares KV watches between listeners of the same key, and streams between keys. */
export class WatchHub {
  #keys = new Map<string, KeyWatch>();
  #batches = new Set<Batch>();
  /** Keys whose batch has not started yet. */
  #forming: KeyWatch[] = [];
  #flushTimer?: ReturnType<typeof setTimeout>;
  #flushQueued = false;
  #lastFlush = -Infinity;
  #closed = false;
  readonly #retryDelayMs: number;
  readonly #batchWindowMs: number;
  readonly #kv: Deno.Kv;
  readonly #log?: Logger;

  constructor(kv: Deno.Kv, options: WatchHubOptions = {}) {
    this.#kv = kv;
    this.#log = options.log;
    this.#retryDelayMs = options.retryDelayMs ?? 100;
    this.#batchWindowMs = options.batchWindowMs ?? DEFAULT_BATCH_WINDOW_MS;
  }

  /**
   * Calls `listener` whenever `key` changes, starting with its current value.
   * Returns the function that stops listening.
   */
  subscribe<T>(key: Deno.KvKey, listener: WatchListener<T>): () => void {
    if (this.#closed) throw new Error("WatchHub is closed");
    const entry = listener as WatchListener<unknown>;
    const id = JSON.stringify(key);
    let watch = this.#keys.get(id);
    if (!watch) {
      watch = { id, key, listeners: new Set([entry]) };
      this.#keys.set(id, watch);
      this.#forming.push(watch);
      this.#scheduleFlush();
    } else {
      if (watch.listeners.size === 0 && watch.batch) watch.batch.live++;
      watch.listeners.add(entry);
      if (watch.latest) {
        // A late joiner gets the current value at once, as a fresh kv.watch would give it.
        const { value, versionstamp } = watch.latest;
        const current = watch;
        queueMicrotask(() => {
          if (current.listeners.has(entry)) entry(value, versionstamp);
        });
      }
    }
    const watched = watch;
    return () => {
      if (this.#keys.get(id) !== watched || !watched.listeners.delete(entry)) return;
      if (watched.listeners.size === 0) this.#idle(watched);
    };
  }

  /** Current counts of watched keys and listeners. */
  stats(): WatchHubStats {
    let watches = 0, listeners = 0;
    for (const watch of this.#keys.values()) {
      if (watch.listeners.size > 0) watches++;
      listeners += watch.listeners.size;
    }
    return { watches, listeners };
  }

  /** Current counts of streams and the keys they hold. */
  streamStats(): WatchStreamStats {
    return { streams: this.#batches.size, keys: this.#keys.size, forming: this.#forming.length };
  }

  /** Cancels every watch; later subscriptions fail. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#flushTimer);
    for (const watch of this.#forming) this.#keys.delete(watch.id);
    this.#forming = [];
    for (const batch of [...this.#batches]) this.#stop(batch);
  }

  /** `watch` lost its last listener. */
  #idle(watch: KeyWatch): void {
    const batch = watch.batch;
    if (!batch) {
      // Still forming: it never needs a stream.
      this.#keys.delete(watch.id);
      this.#forming.splice(this.#forming.indexOf(watch), 1);
      if (this.#forming.length === 0) {
        clearTimeout(this.#flushTimer);
        this.#flushTimer = undefined;
      }
      return;
    }
    // Kept current while its batch lives, for the next listener.
    if (--batch.live === 0) this.#stop(batch);
  }

  /** Starts the forming batch now if full, at once if the last start was a while ago, or later. */
  #scheduleFlush(): void {
    if (this.#forming.length >= MAX_KEYS_PER_WATCH) {
      clearTimeout(this.#flushTimer);
      this.#flushTimer = undefined;
      this.#flush();
      return;
    }
    if (this.#flushTimer !== undefined || this.#flushQueued) return;
    const wait = this.#lastFlush + this.#batchWindowMs - performance.now();
    if (wait <= 0) {
      // Keys subscribed in the same turn still share the stream.
      this.#flushQueued = true;
      queueMicrotask(() => {
        this.#flushQueued = false;
        if (this.#flushTimer === undefined) this.#flush();
      });
    } else {
      this.#flushTimer = setTimeout(() => {
        this.#flushTimer = undefined;
        this.#flush();
      }, wait);
    }
  }

  /** Starts a stream for every ten forming keys. */
  #flush(): void {
    if (this.#closed || this.#forming.length === 0) return;
    this.#lastFlush = performance.now();
    const forming = this.#forming;
    this.#forming = [];
    for (let start = 0; start < forming.length; start += MAX_KEYS_PER_WATCH) {
      const keys = forming.slice(start, start + MAX_KEYS_PER_WATCH);
      const batch: Batch = { keys, live: keys.length, stopped: false, failures: 0 };
      for (const watch of keys) watch.batch = batch;
      this.#batches.add(batch);
      this.#run(batch);
    }
  }

  /** Reads one `kv.watch` stream to its end, then schedules a restart unless stopped. */
  async #run(batch: Batch): Promise<void> {
    const keys = batch.keys;
    try {
      const reader = this.#kv.watch(keys.map((watch) => watch.key)).getReader();
      batch.reader = reader;
      while (true) {
        const { done, value } = await reader.read();
        if (done) break;
        let news = false;
        for (const [i, entry] of value.entries()) {
          const watch = keys[i];
          // A restarted stream starts with the current values, and any change to one key brings
          // them all: news only for the keys that moved.
          if (watch.latest && watch.latest.versionstamp === entry.versionstamp) continue;
          news = true;
          watch.latest = { value: entry.value, versionstamp: entry.versionstamp };
          for (const listener of [...watch.listeners]) {
            try {
              listener(entry.value, entry.versionstamp);
            } catch (error) {
              this.#log?.error("watch listener failed", describeError(error));
            }
          }
        }
        // Only news proves the stream healthy: one that fails right after its first value keeps
        // backing off.
        if (news) batch.failures = 0;
      }
      if (batch.stopped) return;
      this.#log?.warn("kv.watch ended; restarting", { keys: keyKinds(keys) });
    } catch (error) {
      if (batch.stopped) return;
      if (error instanceof Deno.errors.BadResource) {
        // The KV handle is closed: nothing to restart against.
        this.#log?.error("kv.watch failed: KV is closed", { keys: keyKinds(keys) });
        this.#stop(batch);
        return;
      }
      this.#log?.error("kv.watch failed; restarting", {
        keys: keyKinds(keys),
        ...describeError(error),
      });
    }
    batch.reader = undefined;
    batch.failures++;
    batch.retry = setTimeout(() => {
      batch.retry = undefined;
      if (batch.stopped) return;
      // The restarted stream watches only the keys still listened to.
      for (const watch of batch.keys) {
        if (watch.listeners.size === 0) this.#keys.delete(watch.id);
      }
      batch.keys = batch.keys.filter((watch) => watch.listeners.size > 0);
      this.#run(batch);
    }, retryDelay(batch.failures, this.#retryDelayMs));
  }

  #stop(batch: Batch): void {
    batch.stopped = true;
    this.#batches.delete(batch);
    clearTimeout(batch.retry);
    batch.reader?.cancel().catch(() => {});
    for (const watch of batch.keys) {
      if (this.#keys.get(watch.id) === watch) this.#keys.delete(watch.id);
    }
  }
}
