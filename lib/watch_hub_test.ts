import assert from "node:assert/strict";
import { eventually } from "../tests/_wait.ts";
import { retryDelay, WatchHub } from "./watch_hub.ts";

/**
 * A logger that keeps the failures it is told of: the hub logs a failed watch in the same step
 * as it schedules the restart, so a logged failure means the restart is pending.
 */
function failureLog() {
  const failures: string[] = [];
  const keep = (message: string) => void failures.push(message);
  return { failures, log: { debug() {}, info() {}, warn: keep, error: keep } };
}

const randomKey = (): Deno.KvKey => ["watch_hub_test", crypto.randomUUID()];

/**
 * The real KV, except that its first `breaks` watch streams pass on their first value and then
 * fail (or end), as a watch does when the connection to a remote KV drops. A local KV offers no
 * way to provoke that, so only the failure is injected: every value still comes from KV itself.
 */
function withBrokenWatches(
  kv: Deno.Kv,
  options: { breaks: number; how: "error" | "end" },
): { kv: Deno.Kv; opened: () => number } {
  let opened = 0;
  const watch = (keys: Deno.KvKey[]) => {
    const stream = kv.watch(keys);
    if (opened++ >= options.breaks) return stream;
    const reader = stream.getReader();
    let pulls = 0;
    return new ReadableStream<Deno.KvEntryMaybe<unknown>[]>({
      async pull(controller) {
        if (pulls++ === 0) {
          const { done, value } = await reader.read();
          if (done) controller.close();
          else controller.enqueue(value);
          return;
        }
        await reader.cancel();
        if (options.how === "error") controller.error(new Error("connection lost"));
        else controller.close();
      },
      cancel: () => reader.cancel(),
    });
  };
  const proxy = new Proxy(kv, {
    get(target, property) {
      if (property === "watch") return watch;
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { kv: proxy, opened: () => opened };
}

Deno.test("WatchHub shares one kv.watch between every listener of a key", async () => {
  using kv = await Deno.openKv(":memory:");
  const hub = new WatchHub(kv);
  const key = randomKey();
  const seen: unknown[][] = [[], [], [], [], []];
  const stops = seen.map((values) => hub.subscribe(key, (value) => values.push(value)));
  assert.deepEqual(hub.stats(), { watches: 1, listeners: 5 });
  await eventually(() => seen.every((values) => values.length === 1), "first values");

  await kv.set(key, "changed");
  await eventually(() => seen.every((values) => values.length === 2), "the change");
  for (const values of seen) assert.deepEqual(values, [null, "changed"]);
  stops.forEach((stop) => stop());
  hub.close();
});

Deno.test("WatchHub gives a late joiner the current value at once", async () => {
  using kv = await Deno.openKv(":memory:");
  const hub = new WatchHub(kv);
  const key = randomKey();
  await kv.set(key, 1);
  const first: unknown[] = [];
  const stopFirst = hub.subscribe(key, (value) => first.push(value));
  await kv.set(key, 2);
  await eventually(() => first.at(-1) === 2, "the first listener is current");

  const late: [unknown, string | null][] = [];
  const stopLate = hub.subscribe(key, (value, versionstamp) => late.push([value, versionstamp]));
  await Promise.resolve();
  assert.equal(late.length, 1, "delivered in a microtask, without waiting for a change");
  assert.equal(late[0][0], 2);
  assert.equal(late[0][1], (await kv.get(key)).versionstamp);
  assert.deepEqual(hub.stats(), { watches: 1, listeners: 2 });

  stopFirst();
  stopLate();
  hub.close();
});

Deno.test("WatchHub releases the watch when the last listener leaves", async () => {
  using kv = await Deno.openKv(":memory:");
  const hub = new WatchHub(kv);
  const key = randomKey();
  const stopA = hub.subscribe(key, () => {});
  const stopB = hub.subscribe(key, () => {});
  stopA();
  stopA(); // Leaving twice is harmless.
  assert.deepEqual(hub.stats(), { watches: 1, listeners: 1 });
  stopB();
  assert.deepEqual(hub.stats(), { watches: 0, listeners: 0 });

  // The next listener starts a fresh watch.
  const values: unknown[] = [];
  const stopC = hub.subscribe(key, (value) => values.push(value));
  await kv.set(key, "again");
  await eventually(() => values.at(-1) === "again", "the fresh watch delivers");
  stopC();
  assert.deepEqual(hub.stats(), { watches: 0, listeners: 0 });
  hub.close();
});

Deno.test("WatchHub.close() cancels every watch and refuses new listeners", async () => {
  using kv = await Deno.openKv(":memory:");
  const hub = new WatchHub(kv);
  hub.subscribe(randomKey(), () => {});
  hub.subscribe(randomKey(), () => {});
  assert.equal(hub.stats().watches, 2);
  hub.close();
  assert.deepEqual(hub.stats(), { watches: 0, listeners: 0 });
  assert.throws(() => hub.subscribe(randomKey(), () => {}), /closed/);
});

Deno.test("WatchHub restarts a watch that fails or ends, so its listeners keep hearing", async (t) => {
  for (const how of ["error", "end"] as const) {
    await t.step(`when the stream ${how === "error" ? "errors" : "ends"}`, async () => {
      using kv = await Deno.openKv(":memory:");
      const broken = withBrokenWatches(kv, { breaks: 2, how });
      const warnings: string[] = [];
      const log = {
        debug() {},
        info() {},
        warn: (message: string) => warnings.push(message),
        error: (message: string) => warnings.push(message),
      };
      const hub = new WatchHub(broken.kv, { log, retryDelayMs: 5 });
      const key = randomKey();
      const values: unknown[] = [];
      const stop = hub.subscribe(key, (value) => values.push(value));

      // Two streams break after their first value; the third one holds.
      await eventually(() => broken.opened() === 3, "two restarts");
      assert.deepEqual(values, [null], "a restart repeats nothing that did not change");
      assert.equal(warnings.length, 2, "each failure is logged once");
      assert.deepEqual(hub.stats(), { watches: 1, listeners: 1 });

      await kv.set(key, "after the restarts");
      await eventually(() => values.length === 2, "the change arrives");
      // Nothing was repeated before the change either: it comes second.
      assert.deepEqual(values, [null, "after the restarts"]);
      stop();
      assert.deepEqual(hub.stats(), { watches: 0, listeners: 0 });
      hub.close();
    });
  }
});

Deno.test("WatchHub delivers a change made while a watch was down", async () => {
  using kv = await Deno.openKv(":memory:");
  const broken = withBrokenWatches(kv, { breaks: 1, how: "error" });
  const { failures, log } = failureLog();
  // A long first backoff, so the write surely lands while no stream is open.
  const hub = new WatchHub(broken.kv, { log, retryDelayMs: 200 });
  const key = randomKey();
  const values: unknown[] = [];
  const stop = hub.subscribe(key, (value) => values.push(value));
  await eventually(() => values.length === 1, "the first value");
  await eventually(() => failures.length === 1, "the watch failed");
  await kv.set(key, "missed?");
  assert.equal(broken.opened(), 1, "still in the backoff");
  await eventually(() => values.at(-1) === "missed?", "the restarted watch delivers");
  stop();
  hub.close();
});

Deno.test("WatchHub cancels a pending restart when the last listener leaves", async () => {
  using kv = await Deno.openKv(":memory:");
  const broken = withBrokenWatches(kv, { breaks: 1, how: "end" });
  const { failures, log } = failureLog();
  const hub = new WatchHub(broken.kv, { log, retryDelayMs: 60_000 });
  const values: unknown[] = [];
  const stop = hub.subscribe(randomKey(), (value) => values.push(value));
  await eventually(() => values.length === 1, "the first value");
  await eventually(() => failures.length === 1, "the watch ended; its restart is pending");
  // The watch waits a minute to restart; leaving must clear that timer (the sanitizer checks).
  stop();
  assert.deepEqual(hub.stats(), { watches: 0, listeners: 0 });
  assert.equal(broken.opened(), 1);
  hub.close();
});

Deno.test("WatchHub gives up a watch once its KV is closed", async () => {
  const kv = await Deno.openKv(":memory:");
  const hub = new WatchHub(kv, { retryDelayMs: 5 });
  const values: unknown[] = [];
  hub.subscribe(randomKey(), (value) => values.push(value));
  await eventually(() => values.length === 1, "the first value");
  kv.close();
  await eventually(() => hub.stats().watches === 0, "the watch is dropped, not retried forever");
  hub.close();
});

/** The real KV, recording the keys of every `kv.watch` call. */
function recordingWatches(kv: Deno.Kv): { kv: Deno.Kv; calls: Deno.KvKey[][] } {
  const calls: Deno.KvKey[][] = [];
  const proxy = new Proxy(kv, {
    get(target, property) {
      if (property === "watch") {
        return (keys: Deno.KvKey[]) => {
          calls.push(keys);
          return target.watch(keys);
        };
      }
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { kv: proxy, calls };
}

Deno.test("WatchHub watches up to ten keys with one kv.watch, and each listener hears only its key", async () => {
  using kv = await Deno.openKv(":memory:");
  const recorded = recordingWatches(kv);
  const hub = new WatchHub(recorded.kv);
  const keys = Array.from({ length: 25 }, randomKey);
  const seen = keys.map(() => [] as unknown[]);
  const stops = keys.map((key, i) => hub.subscribe(key, (value) => seen[i].push(value)));
  await eventually(() => seen.every((values) => values.length === 1), "first values");
  assert.deepEqual(recorded.calls.map((call) => call.length), [10, 10, 5]);
  assert.deepEqual(hub.streamStats(), { streams: 3, keys: 25, forming: 0 });
  assert.deepEqual(hub.stats(), { watches: 25, listeners: 25 });

  await kv.set(keys[3], "three");
  await kv.set(keys[22], "twenty-two");
  await eventually(() => seen[3].length === 2 && seen[22].length === 2, "the changes");
  assert.deepEqual(seen[3], [null, "three"]);
  assert.deepEqual(seen[22], [null, "twenty-two"]);
  // The other keys of both streams were read again with them, but nothing of theirs moved.
  assert.ok(seen.every((values, i) => i === 3 || i === 22 || values.length === 1));
  stops.forEach((stop) => stop());
  assert.deepEqual(hub.streamStats(), { streams: 0, keys: 0, forming: 0 });
  hub.close();
});

Deno.test("WatchHub keeps a key whose listener left current while its stream lives, and hands it to the next listener without a new kv.watch", async () => {
  using kv = await Deno.openKv(":memory:");
  const recorded = recordingWatches(kv);
  const hub = new WatchHub(recorded.kv);
  const [a, b] = [randomKey(), randomKey()];
  const first: unknown[] = [];
  const stopA = hub.subscribe(a, (value) => first.push(value));
  const stopB = hub.subscribe(b, () => {});
  await eventually(() => first.length === 1, "the first value");
  stopA();
  assert.deepEqual(hub.stats(), { watches: 1, listeners: 1 });
  assert.deepEqual(hub.streamStats(), { streams: 1, keys: 2, forming: 0 });

  // An agent polling again: the change made meanwhile is there at once, from the same stream.
  await kv.set(a, "answered");
  await eventually(async () => {
    const again: unknown[] = [];
    const stop = hub.subscribe(a, (value) => again.push(value));
    await Promise.resolve();
    stop();
    return again[0] === "answered";
  }, "the key is current");
  assert.equal(recorded.calls.length, 1, "no second kv.watch");

  stopB();
  assert.deepEqual(
    hub.streamStats(),
    { streams: 0, keys: 0, forming: 0 },
    "no listener: no stream",
  );
  hub.close();
});

Deno.test("WatchHub starts a batch at once when quiet, and a busy one when it is full or its window ends", async () => {
  using kv = await Deno.openKv(":memory:");
  const recorded = recordingWatches(kv);
  const hub = new WatchHub(recorded.kv, { batchWindowMs: 60_000 });
  const values: unknown[] = [];
  const stopFirst = hub.subscribe(randomKey(), (value) => values.push(value));
  await eventually(() => values.length === 1, "the first key is watched without delay");

  // Within the window, new keys wait for company (for a minute here)…
  const stopLate = hub.subscribe(randomKey(), () => {});
  await Promise.resolve();
  assert.deepEqual(hub.streamStats(), { streams: 1, keys: 2, forming: 1 });
  // …and one that leaves before its batch starts never costs a stream (nor leaves a timer).
  stopLate();
  assert.deepEqual(hub.streamStats(), { streams: 1, keys: 1, forming: 0 });

  // Ten keys fill a stream, which starts at once.
  const full = Array.from({ length: 10 }, randomKey);
  const heard = full.map(() => 0);
  const stops = full.map((key, i) => hub.subscribe(key, () => heard[i]++));
  await eventually(() => heard.every((n) => n === 1), "the full batch is watched");
  assert.deepEqual(recorded.calls.map((call) => call.length), [1, 10]);
  [stopFirst, ...stops].forEach((stop) => stop());
  hub.close();
});

Deno.test("WatchHub restarts a failed stream with only the keys still listened to", async () => {
  using kv = await Deno.openKv(":memory:");
  const broken = withBrokenWatches(kv, { breaks: 1, how: "error" });
  const recorded = recordingWatches(broken.kv);
  const { failures, log } = failureLog();
  const hub = new WatchHub(recorded.kv, { log, retryDelayMs: 200 });
  const [a, b] = [randomKey(), randomKey()];
  const heard: unknown[] = [];
  const stopA = hub.subscribe(a, () => {});
  const stopB = hub.subscribe(b, (value) => heard.push(value));
  await eventually(() => heard.length === 1, "the first value");
  stopA();
  await eventually(() => failures.length === 1, "the stream failed");
  assert.match(failures[0], /restarting/);
  await kv.set(b, "still heard");
  await eventually(() => heard.at(-1) === "still heard", "the restarted stream delivers");
  assert.deepEqual(recorded.calls.map((call) => call.length), [2, 1]);
  assert.deepEqual(hub.streamStats(), { streams: 1, keys: 1, forming: 0 });
  stopB();
  hub.close();
});

Deno.test("retryDelay() doubles from the base and stops at 5 s", () => {
  assert.deepEqual([1, 2, 3, 4].map((n) => retryDelay(n, 100)), [100, 200, 400, 800]);
  assert.equal(retryDelay(20, 100), 5000);
  assert.equal(retryDelay(0, 100), 100);
});
