import assert from "node:assert/strict";
import { type ConnectionPool, LiveConnections } from "./live_connections.ts";

/** A pool with fixed counts that records whether it was closed. */
function pool(sockets: number, scopes: number): ConnectionPool & { closed: boolean } {
  return {
    closed: false,
    stats: () => ({ sockets, scopes }),
    closeAll() {
      this.closed = true;
      return Promise.resolve();
    },
  };
}

Deno.test("stats() adds up the counts of every pool", () => {
  const live = new LiveConnections();
  assert.deepEqual(live.stats(), { sockets: 0, scopes: 0 });
  live.add(pool(3, 2));
  live.add(pool(1, 1));
  assert.deepEqual(live.stats(), { sockets: 4, scopes: 3 });
});

Deno.test("closeAll() closes every pool, and a pool added afterwards at once", async () => {
  const live = new LiveConnections();
  const first = pool(1, 1);
  live.add(first);
  await live.closeAll();
  assert.equal(first.closed, true);
  const late = pool(0, 0);
  live.add(late);
  assert.equal(late.closed, true, "a transport built during shutdown accepts no connection");
});
