import assert from "node:assert/strict";
import { InFlight } from "./in_flight.ts";

const SSE = { "Content-Type": "text/event-stream" };

/** A stream answer whose body stays open until `end()`. */
function openStream() {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
  return {
    response: new Response(body, { headers: SSE }),
    end: () => controller.close(),
  };
}

Deno.test("a stream answer served by Deno.serve is counted until the server says it was sent, and passed on as it is", async () => {
  const inFlight = new InFlight();
  const { response } = openStream();
  const sent = Promise.withResolvers<void>();
  assert.equal(inFlight.track(response, sent.promise), response, "no pass-through stream");
  assert.equal(inFlight.count, 1);
  let idle = false;
  const waiting = inFlight.idle(60_000).then(() => idle = true);
  sent.resolve();
  await waiting;
  assert.ok(idle);
  assert.equal(inFlight.count, 0);
});

Deno.test("a stream answer the server could not send is no longer counted", async () => {
  const inFlight = new InFlight();
  const sent = Promise.withResolvers<void>();
  inFlight.track(openStream().response, sent.promise);
  sent.reject(new Error("client went away"));
  await inFlight.idle(60_000);
  assert.equal(inFlight.count, 0);
});

Deno.test("without the server's word, a stream answer is counted until its body ends", async () => {
  const inFlight = new InFlight();
  const { response, end } = openStream();
  const tracked = inFlight.track(response);
  assert.notEqual(tracked, response, "a pass-through stream");
  assert.equal(inFlight.count, 1);
  const reading = tracked.text();
  end();
  await reading;
  await inFlight.idle(60_000);
  assert.equal(inFlight.count, 0);
});

Deno.test("a JSON answer is not counted", () => {
  const inFlight = new InFlight();
  const response = Response.json({ jsonrpc: "2.0", id: 1, result: {} });
  assert.equal(inFlight.track(response, Promise.resolve()), response);
  assert.equal(inFlight.count, 0);
});
