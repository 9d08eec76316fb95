import assert from "node:assert/strict";
import { Slots } from "./slots.ts";

Deno.test("Slots lets `size` holders in at once and the others in, in order, as slots are released", async () => {
  const slots = new Slots(2);
  const first = await slots.take();
  const second = await slots.take();
  const order: number[] = [];
  const third = slots.take().then((release) => (order.push(3), release));
  const fourth = slots.take().then((release) => (order.push(4), release));
  assert.deepEqual([slots.held, slots.waiting], [2, 2]);
  first();
  first(); // a second release of the same slot changes nothing
  const releaseThird = await third;
  assert.deepEqual(order, [3]);
  assert.deepEqual([slots.held, slots.waiting], [2, 1]);
  second();
  (await fourth)();
  releaseThird();
  assert.deepEqual(order, [3, 4]);
  assert.deepEqual([slots.held, slots.waiting], [0, 0]);
});
