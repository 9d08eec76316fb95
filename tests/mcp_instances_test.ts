/**
 * Two app instances on one KV stand in for two Deno Deploy instances: a wait held by one is woken
 * by a write made through the other, because the wake-up comes from the KV watch, not from memory.
 */
import assert from "node:assert/strict";
import { randomOwner, tokenFor } from "./_helpers.ts";
import {
  connectClient,
  serveInstance,
  submitViaApi,
  textOf,
  untilWaiting,
} from "./_mcp_helpers.ts";
import type { CallToolResult } from "../lib/mcp/sdk.ts";

const facts = (result: unknown) =>
  (result as CallToolResult).structuredContent as { sessionId: string; status: string };

Deno.test("a wait on one instance is woken by a REST submit through another instance", async () => {
  await using first = await serveInstance();
  await using second = await serveInstance({ kv: first.instance.kv });
  const token = await tokenFor(randomOwner());
  await using onFirst = await connectClient(first.mcpUrl, token);
  await using onSecond = await connectClient(second.mcpUrl, token);

  // Asked through the second instance, awaited on the first: no instance holds session state.
  const { sessionId } = facts(
    await onSecond.client.callTool({
      name: "interactive_feedback",
      arguments: { message: "Deploy now?", predefinedOptions: ["Now", "Later"] },
    }),
  );
  let returnedAt = 0;
  const waiting = onFirst.client.callTool({
    name: "get_feedback_result",
    arguments: { sessionId, wait: 30 },
  }).then((result) => {
    returnedAt = performance.now();
    return result;
  });
  await untilWaiting(first.instance);
  assert.equal(second.instance.services.hub.stats().listeners, 0, "only the first instance waits");

  const res = await submitViaApi(second.instance, sessionId, { selectedOptions: ["Later"] });
  assert.equal(res.status, 200);
  await res.body?.cancel();
  const submittedAt = performance.now();
  const result = await waiting;

  assert.ok(
    returnedAt - submittedAt < 1000,
    `woken ${(returnedAt - submittedAt).toFixed(1)} ms later`,
  );
  assert.equal(facts(result).status, "completed");
  assert.match(textOf(result), /^The user answered:\n\nLater\n/);
});

Deno.test("a cancel through one instance ends a wait held by another", async () => {
  await using first = await serveInstance();
  await using second = await serveInstance({ kv: first.instance.kv });
  const token = await tokenFor(randomOwner());
  await using onFirst = await connectClient(first.mcpUrl, token);
  await using onSecond = await connectClient(second.mcpUrl, token);

  const { sessionId } = facts(
    await onFirst.client.callTool({ name: "interactive_feedback", arguments: { message: "Hm?" } }),
  );
  const waiting = onFirst.client.callTool({
    name: "get_feedback_result",
    arguments: { sessionId, wait: 30 },
  });
  await untilWaiting(first.instance);
  const cancelled = await onSecond.client.callTool({
    name: "cancel_feedback",
    arguments: { sessionId },
  });
  assert.equal(facts(cancelled).status, "cancelled");
  const result = await waiting;
  assert.equal(facts(result).status, "cancelled");
  assert.match(textOf(result), /do not ask the same question again/);
});
