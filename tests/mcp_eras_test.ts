/**
 * Both MCP protocol eras on one server (issue 10): the v2 SDK client pinned to 2026-07-28, in
 * `auto` mode and in its default legacy mode each completes the whole loop, and raw HTTP shows
 * what only the 2026-07-28 era has: `server/discover`, per-request `_meta`, header–body validation,
 * and a call that ends when its client goes away. The v1 client tests (`mcp_tools_test.ts` and the
 * others) are the 2025-11-25 compatibility proof.
 */
import assert from "node:assert/strict";
import type { VersionNegotiationMode } from "@modelcontextprotocol/client";
import { z } from "zod";
import type { McpExtension } from "../lib/mcp/tools.ts";
import { closeRealtime } from "../lib/services.ts";
import { randomOwner, tokenFor } from "./_helpers.ts";
import {
  connectV2Client,
  serveInstance,
  submitViaApi,
  textOf,
  untilWaiting,
} from "./_mcp_helpers.ts";
import { eventually } from "./_wait.ts";

const MODERN = "2026-07-28";
const ACCEPT = "application/json, text/event-stream";

// deno-lint-ignore no-explicit-any
type Json = any;

/** The per-request envelope a 2026-07-28 client puts in every request's `params._meta`. */
function envelope(capabilities: Record<string, unknown> = {}, version = MODERN) {
  return {
    "io.modelcontextprotocol/protocolVersion": version,
    "io.modelcontextprotocol/clientCapabilities": capabilities,
    "io.modelcontextprotocol/clientInfo": { name: "raw-fetch", version: "1.0.0" },
  };
}

/** Options of {@link modernPost}. */
interface ModernPostOptions {
  /** Headers added to (or replacing) the standard ones; `null` leaves one out. */
  headers?: Record<string, string | null>;
  /** The envelope's `clientCapabilities`. */
  capabilities?: Record<string, unknown>;
  /** The version the envelope names (the header names it too, unless replaced). */
  version?: string;
  signal?: AbortSignal;
}

/**
 * POSTs one 2026-07-28 request: the envelope in `params._meta`, and the standard headers
 * (`MCP-Protocol-Version`, `Mcp-Method`, and `Mcp-Name` for a tool call) matching the body.
 */
async function modernPost(
  url: string,
  token: string,
  method: string,
  params: Record<string, unknown> = {},
  options: ModernPostOptions = {},
): Promise<Response> {
  const version = options.version ?? MODERN;
  const standard: Record<string, string | null> = {
    Authorization: `Bearer ${token}`,
    "Content-Type": "application/json",
    Accept: ACCEPT,
    "MCP-Protocol-Version": version,
    "Mcp-Method": method,
    ...(typeof params.name === "string" ? { "Mcp-Name": params.name } : {}),
    ...options.headers,
  };
  const headers = Object.entries(standard).filter((e): e is [string, string] => e[1] !== null);
  const meta = { ...envelope(options.capabilities, version), ...(params._meta as object) };
  return await fetch(url, {
    method: "POST",
    headers,
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params: { ...params, _meta: meta } }),
    signal: options.signal,
  });
}

/** POSTs one 2025-era request: no envelope, no session, no `initialize` before it. */
async function legacyPost(
  url: string,
  token: string,
  method: string,
  params: Record<string, unknown> = {},
): Promise<Response> {
  return await fetch(url, {
    method: "POST",
    headers: {
      Authorization: `Bearer ${token}`,
      "Content-Type": "application/json",
      Accept: ACCEPT,
      "MCP-Protocol-Version": "2025-11-25",
    },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
}

/** The one JSON-RPC answer of a response (an SSE stream or a JSON body). */
async function answerOf(res: Response): Promise<Json> {
  const text = await res.text();
  if (!res.headers.get("content-type")?.includes("text/event-stream")) return JSON.parse(text);
  const messages = text.split("\n").filter((line) => line.startsWith("data: "))
    .map((line) => JSON.parse(line.slice(6)));
  const answer = messages.find((m) => "result" in m || "error" in m);
  assert.ok(answer, `no answer in: ${text}`);
  return answer;
}

const MODES: [string, VersionNegotiationMode, "modern" | "legacy"][] = [
  ["pinned to 2026-07-28", { pin: MODERN }, "modern"],
  ["in auto mode", "auto", "modern"],
  ["in its default legacy mode", "legacy", "legacy"],
];

for (const [name, mode, era] of MODES) {
  Deno.test(`the v2 client ${name} completes the loop: ask, the human answers over REST, the waiting call returns the answer with progress`, async () => {
    await using served = await serveInstance({ mcp: { progressIntervalMs: 100 } });
    const token = await tokenFor(randomOwner());
    await using mcp = await connectV2Client(served.mcpUrl, token, mode);
    assert.equal(mcp.client.getProtocolEra(), era);

    const { tools } = await mcp.client.listTools();
    assert.equal(tools.length, 7, "five tools and the inline form's two app-only ones");
    const ask = tools.find((t) => t.name === "interactive_feedback");
    assert.equal(ask?.annotations?.title, "Ask the user");
    assert.equal(ask?.outputSchema?.type, "object");

    const created = await mcp.client.callTool({
      name: "interactive_feedback",
      arguments: { message: "Ship it?", predefinedOptions: ["Yes", "No"] },
    });
    const { sessionId, status } = created.structuredContent as Json;
    assert.equal(status, "pending");
    assert.match(textOf(created), /feedbackUrl|http/);

    const progress: number[] = [];
    const waiting = mcp.client.callTool(
      { name: "get_feedback_result", arguments: { sessionId, wait: 30 } },
      { onprogress: (p) => progress.push(p.progress) },
    );
    await untilWaiting(served.instance);
    await eventually(() => progress.length > 0, "a progress notification");
    const submitted = await submitViaApi(served.instance, sessionId, { selectedOptions: ["Yes"] });
    assert.equal(submitted.status, 200);

    const result = await waiting;
    assert.notEqual(result.isError, true, textOf(result));
    const facts = result.structuredContent as Json;
    assert.equal(facts.status, "completed");
    assert.deepEqual(facts.feedback.selectedOptions, ["Yes"]);
    assert.match(textOf(result), /Yes/);
    assert.ok(progress.every((p, i) => i === 0 || p > progress[i - 1]), "progress increases");
  });
}

Deno.test("server/discover lists 2026-07-28 with the tools and the instructions", async () => {
  await using served = await serveInstance();
  const token = await tokenFor(randomOwner());
  const res = await modernPost(served.mcpUrl, token, "server/discover");
  assert.equal(res.status, 200);
  const { result } = await answerOf(res);
  // The SDK lists the modern revisions only: 2025 clients negotiate through `initialize`.
  assert.deepEqual(result.supportedVersions, [MODERN]);
  assert.deepEqual(result.capabilities.tools, { listChanged: false });
  assert.match(result.instructions, /interactive_feedback/);
});

Deno.test("a 2026-07-28 result carries the per-request _meta, and the same call works in the 2025 era", async () => {
  await using served = await serveInstance();
  const token = await tokenFor(randomOwner());
  const call = { name: "list_feedback_sessions", arguments: {} };

  const modern = await answerOf(await modernPost(served.mcpUrl, token, "tools/call", call));
  assert.equal(modern.result.resultType, "complete");
  assert.equal(
    modern.result._meta["io.modelcontextprotocol/serverInfo"].name,
    "interactive-feedback",
  );
  assert.deepEqual(modern.result.structuredContent, { sessions: [] });

  const legacy = await answerOf(await legacyPost(served.mcpUrl, token, "tools/call", call));
  assert.deepEqual(legacy.result.structuredContent, { sessions: [] });
  assert.equal(legacy.result.resultType, undefined);
});

Deno.test("a 2026-07-28 request whose headers disagree with its body is a 400", async (t) => {
  await using served = await serveInstance();
  const token = await tokenFor(randomOwner());
  const call = { name: "list_feedback_sessions", arguments: {} };
  const cases: [string, Record<string, string | null>][] = [
    ["Mcp-Name names another tool", { "Mcp-Name": "cancel_feedback" }],
    ["Mcp-Method names another method", { "Mcp-Method": "tools/list" }],
    ["Mcp-Method is missing", { "Mcp-Method": null }],
    ["MCP-Protocol-Version names another version", { "MCP-Protocol-Version": "2025-11-25" }],
  ];
  for (const [name, headers] of cases) {
    await t.step(name, async () => {
      const res = await modernPost(served.mcpUrl, token, "tools/call", call, { headers });
      assert.equal(res.status, 400);
      const answer = await answerOf(res);
      assert.equal(typeof answer.error.code, "number");
      assert.match(answer.error.message, /header|version/i);
    });
  }
  assert.equal((await served.instance.services.feedback.list("nobody")).items.length, 0);
});

Deno.test("a request for an unknown protocol version is a 400 naming the supported one", async () => {
  await using served = await serveInstance();
  const token = await tokenFor(randomOwner());
  const res = await modernPost(served.mcpUrl, token, "tools/list", {}, { version: "2099-01-01" });
  assert.equal(res.status, 400);
  const { error } = await answerOf(res);
  assert.equal(error.code, -32022);
  assert.deepEqual(error.data.supported, [MODERN]);
});

Deno.test("a 2026-07-28 call without a progress token ends when its client disconnects, and its watch is released", async () => {
  await using served = await serveInstance();
  const { instance } = served;
  const owner = randomOwner();
  const token = await tokenFor(owner);
  const session = await instance.services.feedback.create(owner, { message: "Still there?" });
  const client = new AbortController();
  const call = modernPost(served.mcpUrl, token, "tools/call", {
    name: "get_feedback_result",
    arguments: { sessionId: session.id, wait: 40 },
  }, { signal: client.signal });
  await untilWaiting(instance);
  client.abort();
  await call.then((res) => res.body?.cancel()).catch(() => {}); // aborted: nothing to read
  // Well before the 40 s wait would end on its own.
  await eventually(() => instance.services.hub.stats().listeners === 0, {
    what: "the wait's KV watch released",
  });
});

Deno.test("invalid params are -32602 naming the field, in both eras", async (t) => {
  await using served = await serveInstance({
    mcp: { extensions: [withResource] },
  });
  const token = await tokenFor(randomOwner());
  // SDK 2.4 answers the first with -32603 and its raw validation text.
  const cases: [string, Record<string, unknown>][] = [
    ["resources/read", { uri: 5 }],
    ["tools/call", { name: ["interactive_feedback"] }],
    ["tools/list", { cursor: 5 }],
  ];
  for (const [method, params] of cases) {
    for (const era of ["modern", "legacy"] as const) {
      await t.step(`${method} (${era})`, async () => {
        const res = era === "modern"
          ? await modernPost(served.mcpUrl, token, method, params)
          : await legacyPost(served.mcpUrl, token, method, params);
        const { error } = await answerOf(res);
        assert.equal(error.code, -32602, JSON.stringify(error));
        assert.match(error.message, /^Invalid params: params\.\w+/);
      });
    }
  }
});

/** A resource, so that `resources/read` reaches a handler (as the MCP App's will). */
const withResource: McpExtension = (server) => {
  server.registerResource("note", "note://hello", { mimeType: "text/plain" }, (uri) => ({
    contents: [{ uri: uri.href, text: "hello" }],
  }));
};

/** A tool that reports what its extension context says. */
const whoami: McpExtension = (server, context) => {
  server.registerTool("whoami", {
    description: "Reports the extension context.",
    inputSchema: z.object({}),
    _meta: { ui: { resourceUri: "ui://test/view.html" } },
  }, () => ({
    content: [{ type: "text", text: "ok" }],
    structuredContent: {
      owner: context.owner,
      era: context.era,
      capabilities: context.clientCapabilities() ?? null,
    },
    _meta: { answerToken: "for-the-view" },
  }));
};

Deno.test("an extension registers on every per-request server and learns the owner, the era and, on 2026-07-28, the client's capabilities", async () => {
  await using served = await serveInstance({ mcp: { extensions: [whoami] } });
  const owner = randomOwner();
  const token = await tokenFor(owner);
  const call = { name: "whoami", arguments: {} };

  const capabilities = { elicitation: { form: {} } };
  const modern = await answerOf(
    await modernPost(served.mcpUrl, token, "tools/call", call, { capabilities }),
  );
  assert.deepEqual(modern.result.structuredContent, { owner, era: "modern", capabilities });
  assert.equal(
    modern.result._meta.answerToken,
    "for-the-view",
    "a result's _meta reaches the client",
  );

  const legacy = await answerOf(await legacyPost(served.mcpUrl, token, "tools/call", call));
  assert.deepEqual(legacy.result.structuredContent, { owner, era: "legacy", capabilities: null });

  const { result } = await answerOf(await legacyPost(served.mcpUrl, token, "tools/list"));
  const tool = result.tools.find((t: Json) => t.name === "whoami");
  assert.deepEqual(tool._meta, { ui: { resourceUri: "ui://test/view.html" } });
  assert.equal(result.tools.length, 8, "five tools, the inline form's two, and whoami");
});

Deno.test("at shutdown a 2026-07-28 wait ends with its answer so far, and later requests are told to retry elsewhere", async () => {
  await using served = await serveInstance();
  const { instance } = served;
  const owner = randomOwner();
  const token = await tokenFor(owner);
  const session = await instance.services.feedback.create(owner, { message: "Still there?" });
  const call = modernPost(served.mcpUrl, token, "tools/call", {
    name: "get_feedback_result",
    arguments: { sessionId: session.id, wait: 40 },
  });
  await untilWaiting(instance);
  await closeRealtime(instance.services);
  const { result } = await answerOf(await call);
  assert.equal(result.structuredContent.status, "pending");

  const later = await modernPost(served.mcpUrl, token, "tools/list");
  assert.equal(later.status, 503);
  assert.equal(later.headers.get("retry-after"), "1");
  assert.match((await later.json()).error.message, /shutting down/);
});
