import assert from "node:assert/strict";
import { SPREAD_FROM_SECONDS, spreadHoldLimit } from "./wait.ts";

Deno.test("a hold limit of 20 s or more ends up to 15 % early, in whole seconds, at random", () => {
  assert.equal(spreadHoldLimit(45, () => 0), 45);
  assert.equal(spreadHoldLimit(45, () => 0.999999), 39);
  assert.equal(spreadHoldLimit(240, () => 0.999999), 204);
  assert.equal(spreadHoldLimit(SPREAD_FROM_SECONDS, () => 0.999999), 17);
  const seen = new Set<number>();
  for (let i = 0; i < 2_000; i++) {
    const limit = spreadHoldLimit(45);
    assert.ok(Number.isInteger(limit) && limit >= 39 && limit <= 45, `${limit}`);
    seen.add(limit);
  }
  // Every value of the range turns up: 2,000 draws miss one of seven with odds below 1e-130.
  assert.deepEqual([...seen].sort((a, b) => a - b), [39, 40, 41, 42, 43, 44, 45]);
});

Deno.test("shorter hold limits are kept as they are", () => {
  for (const seconds of [0, 1, 2, 7, SPREAD_FROM_SECONDS - 1]) {
    assert.equal(spreadHoldLimit(seconds, () => 0.999999), seconds);
  }
});
