/**
 * What a held MCP call keeps while it waits, and what lets it go (issue 13, docs/scale.md): a
 * client that goes away releases its wait in the 2025 era too, however its request body arrived;
 * its request body is not kept in a 64 KiB read buffer; and its per-request server carries only
 * the tool it calls.
 */
import assert from "node:assert/strict";
import { Client } from "@modelcontextprotocol/client";
import { InMemoryTransport } from "@modelcontextprotocol/server";
import { createFeedbackServer, createToolCatalog } from "../lib/mcp/tools.ts";
import { createTestInstance, randomOwner, tokenFor } from "./_helpers.ts";
import { serveInstance, untilWaiting } from "./_mcp_helpers.ts";
import { eventually } from "./_wait.ts";

const LEGACY = "2025-11-25";

/** A 2025-11-25 `get_feedback_result` call that waits, as raw JSON-RPC. */
function waitCall(sessionId: string, wait = 40) {
  return JSON.stringify({
    jsonrpc: "2.0",
    id: 1,
    method: "tools/call",
    params: { name: "get_feedback_result", arguments: { sessionId, wait } },
  });
}

Deno.test("a 2025-11-25 call without a progress token ends when its client disconnects, and its watch is released", async () => {
  await using served = await serveInstance();
  const { instance } = served;
  const owner = randomOwner();
  const session = await instance.services.feedback.create(owner, { message: "Still there?" });
  const client = new AbortController();
  const call = fetch(served.mcpUrl, {
    method: "POST",
    headers: {
      Authorization: `Bearer ${await tokenFor(owner)}`,
      "Content-Type": "application/json",
      Accept: "application/json, text/event-stream",
      "MCP-Protocol-Version": LEGACY,
    },
    body: waitCall(session.id),
    signal: client.signal,
  });
  await untilWaiting(instance);
  client.abort();
  await call.then((res) => res.body?.cancel()).catch(() => {}); // aborted: nothing to read
  // Well before the 40 s wait would end on its own.
  await eventually(() => instance.services.hub.stats().listeners === 0, {
    what: "the wait's KV watch released",
  });
});

Deno.test("a held call whose body arrived after its headers still ends when its client disconnects", async () => {
  // Deno 2.9 notices a client that leaves while a handler is pending only when the request had
  // no body still to stream; a streamed answer (SSE) notices it in any case. This is the case a
  // JSON answer would miss: headers first, the body in a later packet.
  await using served = await serveInstance();
  const { instance } = served;
  const owner = randomOwner();
  const session = await instance.services.feedback.create(owner, { message: "Still there?" });
  const url = new URL(served.mcpUrl);
  const conn = await Deno.connect({ hostname: url.hostname, port: Number(url.port) });
  const body = new TextEncoder().encode(waitCall(session.id));
  const head = [
    "POST /mcp HTTP/1.1",
    `Host: ${url.host}`,
    `Authorization: Bearer ${await tokenFor(owner)}`,
    "Content-Type: application/json",
    "Accept: application/json, text/event-stream",
    `MCP-Protocol-Version: ${LEGACY}`,
    `Content-Length: ${body.byteLength}`,
    "",
    "",
  ].join("\r\n");
  const writer = conn.writable.getWriter();
  await writer.write(new TextEncoder().encode(head));
  // Until the server has read the head (and so cannot have the body with it): the route's
  // bearer check runs before the body is read.
  await new Promise((resolve) => setTimeout(resolve, 50));
  await writer.write(body);
  writer.releaseLock();
  await untilWaiting(instance);
  conn.close();
  await eventually(() => instance.services.hub.stats().listeners === 0, {
    what: "the wait's KV watch released",
  });
});

Deno.test("held calls keep no 64 KiB request-body buffer while they wait", async () => {
  // Read through a stream reader to its end, a request body kept the 64 KiB buffer of Deno's last
  // pull for as long as the request lived: 64 KiB of external memory per held call.
  await using served = await serveInstance();
  const { instance } = served;
  const owner = randomOwner();
  const token = await tokenFor(owner);
  const calls = 40; // within the owner's wait cap (OWNER_MAX_WAITS, 100)
  const sessions = await Promise.all(
    Array.from({ length: calls }, () => instance.services.feedback.create(owner, { message: "?" })),
  );
  const client = new AbortController();
  const before = Deno.memoryUsage().external;
  const held = sessions.map((session) =>
    fetch(served.mcpUrl, {
      method: "POST",
      headers: {
        Authorization: `Bearer ${token}`,
        "Content-Type": "application/json",
        Accept: "application/json, text/event-stream",
        "MCP-Protocol-Version": LEGACY,
      },
      // Over 1 KiB, so Deno streams it rather than taking it whole with the head.
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "tools/call",
        params: {
          name: "get_feedback_result",
          arguments: { sessionId: session.id, wait: 40 },
          _meta: { padding: "x".repeat(2048) },
        },
      }),
      signal: client.signal,
    }).then((res) => res.text()).catch(() => {}) // reads until the abort below
  );
  await untilWaiting(instance, calls);
  const perCall = (Deno.memoryUsage().external - before) / calls;
  client.abort();
  await Promise.all(held);
  assert.ok(perCall < 32 * 1024, `${Math.round(perCall / 1024)} KiB of external memory per call`);
});

Deno.test("a tools/call server carries only the tool it calls; any other request gets every tool", async (t) => {
  await using instance = await createTestInstance();
  const catalog = createToolCatalog(instance.services);
  const all = catalog.tools.map((tool) => tool.definition.name);
  const listed = async (only?: string) => {
    const server = createFeedbackServer(catalog, {
      owner: randomOwner(),
      era: "legacy",
      progressIntervalMs: 10_000,
      only,
    });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    const client = new Client({ name: "test", version: "1.0.0" });
    await client.connect(clientSide);
    try {
      return (await client.listTools()).tools.map((tool) => tool.name);
    } finally {
      await client.close();
      await server.close();
    }
  };
  await t.step("a catalog tool alone", async () => {
    assert.deepEqual(await listed("get_feedback_result"), ["get_feedback_result"]);
  });
  await t.step("another name (the inline form's tools, an unknown one): everything", async () => {
    const everything = await listed();
    for (const name of all) assert.ok(everything.includes(name), name);
    assert.ok(everything.length > all.length, "the inline form's tools too");
    assert.deepEqual(await listed("no_such_tool"), everything);
  });
});
