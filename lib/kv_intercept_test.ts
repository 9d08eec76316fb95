import assert from "node:assert/strict";
import { interceptKv, type KvCall } from "./kv_intercept.ts";

Deno.test("interceptKv() runs every call that reaches the store through the interceptor", async () => {
  await using raw = await Deno.openKv(":memory:");
  const calls: KvCall[] = [];
  const kv = interceptKv(raw, (call, run) => (calls.push(call), run()));
  assert.ok(kv instanceof Deno.Kv);
  await kv.set(["a"], 1);
  const entry = await kv.get<number>(["a"]);
  await kv.getMany([["a"], ["b"]]);
  // A builder chain stays on the proxy, so the commit at its end is intercepted.
  const result = await kv.atomic().check(entry).set(["b"], 2).commit();
  assert.equal(result.ok, true);
  const listed = await Array.fromAsync(kv.list({ prefix: [] }, { batchSize: 1 }));
  await kv.delete(["a"]);
  await kv.enqueue("job");
  assert.deepEqual(listed.map((e) => e.key), [["a"], ["b"]]);
  // Two entries one to a page, then the empty page that ends the listing.
  assert.deepEqual(calls, [
    "set",
    "get",
    "getMany",
    "commit",
    "list",
    "list",
    "list",
    "delete",
    "enqueue",
  ]);
  assert.equal((await raw.get(["a"])).value, null, "the calls reached the real store");
});

Deno.test("interceptKv() lets the interceptor answer in the call's place", async () => {
  await using raw = await Deno.openKv(":memory:");
  const kv = interceptKv(
    raw,
    (call, run) => call === "commit" ? Promise.reject(new TypeError("database is locked")) : run(),
  );
  await assert.rejects(kv.atomic().set(["x"], 1).commit(), /database is locked/);
  assert.equal((await kv.get(["x"])).value, null, "the refused commit wrote nothing");
});
