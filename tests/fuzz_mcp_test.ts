/**
 * Property-based fuzzing of the MCP endpoint (issue 8) over real HTTP: `tools/call` with arbitrary
 * arguments for each of the five tools, and arbitrary JSON-RPC envelopes and headers. Never a
 * 5xx, never a hang, never an internal error (in the answer or in the log), and nothing stored
 * by a refused call. Seeds and run counts: see `_fuzz.ts`.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { SESSION_STATUSES } from "../lib/feedback/model.ts";
import { ERROR_TEXTS } from "../lib/mcp/texts.ts";
import { createSessionViaApi, randomOwner, tokenFor } from "./_helpers.ts";
import { serveInstance } from "./_ws_client.ts";
import {
  ANSWER_BOUND_MS,
  anyText,
  assertNoLeak,
  assertNoLoggedErrors,
  assertUnchanged,
  authorization,
  contentType,
  countSessions,
  createFields,
  createFuzzInstance,
  fuzzParameters,
  headerText,
  longText,
  pathSegment,
  snapshot,
  stringifyAny,
  uuidV4,
  within,
} from "./_fuzz.ts";

const ACCEPT = "application/json, text/event-stream";
const TOOLS = [
  "interactive_feedback",
  "get_feedback_result",
  "check_feedback_status",
  "cancel_feedback",
  "list_feedback_sessions",
] as const;

// deno-lint-ignore no-explicit-any
type Json = any;

/** POSTs `body` to `url`; the status and the JSON-RPC messages of the answer, within the bound. */
async function post(url: string, body: string | Uint8Array<ArrayBuffer>, headers: Headers) {
  const res = await within(
    fetch(url, { method: "POST", headers, body }),
    ANSWER_BOUND_MS,
    "POST /mcp",
  );
  const text = await within(res.text(), ANSWER_BOUND_MS, "POST /mcp (body)");
  let messages: Json[] = [];
  if (text !== "") {
    if (res.headers.get("content-type")?.startsWith("text/event-stream")) {
      messages = text.split("\n").filter((line) => line.startsWith("data: "))
        .map((line) => JSON.parse(line.slice(6)));
    } else {
      assert.match(res.headers.get("content-type") ?? "", /^application\/json/, text);
      const value = JSON.parse(text);
      messages = Array.isArray(value) ? value : [value];
    }
  }
  return { status: res.status, text, messages };
}

/**
 * Fails unless `message` is a JSON-RPC answer that is not an internal failure: a result (a tool
 * result has a non-empty text and no internal-error text) or an error with a code and a message.
 * `echoed` is caller input the answer may quote (a tool name, a session id): it is not ours.
 */
function assertJsonRpcAnswer(message: Json, echoed: string[], context: string): void {
  const show = `${context}: ${JSON.stringify(message).slice(0, 600)}`;
  assert.equal(message.jsonrpc, "2.0", show);
  const strip = (text: string) => echoed.reduce((t, e) => e ? t.replaceAll(e, "") : t, text);
  if ("error" in message) {
    assert.ok(Number.isInteger(message.error.code), show);
    assert.notEqual(message.error.code, -32603, `internal error: ${show}`);
    assert.ok(typeof message.error.message === "string" && message.error.message !== "", show);
    assertNoLeak(strip(JSON.stringify(message.error)), show);
    return;
  }
  assert.ok("result" in message, show);
  if (!("content" in message.result)) return; // ping, tools/list, initialize…
  const text = message.result.content?.find((p: Json) => p.type === "text")?.text;
  assert.ok(typeof text === "string" && text.trim() !== "", `no text: ${show}`);
  assert.notEqual(text, ERROR_TEXTS.internal, `internal error: ${show}`);
  assertNoLeak(strip(text), show);
  if (message.result.isError !== true) {
    assert.equal(
      typeof message.result.structuredContent,
      "object",
      `no structuredContent: ${show}`,
    );
  }
}

/** Whether an answer holds a successful tool result (which may have stored something). */
function someToolSucceeded(messages: Json[]): boolean {
  return messages.some((m) => m.result?.content && m.result.isError !== true);
}

/** A wait that keeps a call short: small numbers, or values of the wrong type. */
const shortWait = fc.oneof(
  fc.constantFrom(0, 0.05, 0.1, -1, -0, -1e308),
  fc.double({ min: -5, max: 0.1, noNaN: true }),
  fc.jsonValue({ maxDepth: 1 }).filter((v) => typeof v !== "number" || v <= 0.1),
);

Deno.test("tools/call with arbitrary arguments gets a tool result or a JSON-RPC error, never an internal error, and a refused call stores nothing", async () => {
  await using instance = await createFuzzInstance();
  await using server = serveInstance(instance);
  const url = `${server.origin}/mcp`;
  const owner = randomOwner();
  const token = await tokenFor(owner);
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) ids.push((await createSessionViaApi(instance, token)).sessionId);
  ids.push((await createSessionViaApi(instance, await tokenFor(randomOwner()))).sessionId);
  await instance.services.feedback.submit(ids[0], { selectedOptions: ["Yes"] });

  const sessionId = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...ids) },
    uuidV4,
    uuidV4.map((id) => id.toUpperCase()),
    pathSegment(),
    longText(99, 102),
    fc.jsonValue({ maxDepth: 1 }),
  );
  const argumentsFor: Record<(typeof TOOLS)[number], fc.Arbitrary<unknown>> = {
    interactive_feedback: fc.oneof(
      {
        weight: 9,
        arbitrary: fc.tuple(createFields, fc.option(shortWait, { nil: undefined }))
          .map(([fields, wait]) => wait === undefined ? fields : { ...fields, wait }),
      },
      // Huge strings, up to past the 64 KiB body cap.
      longText(20_000, 70_000).map((message) => ({ message })),
    ),
    get_feedback_result: fc.record({ sessionId, wait: shortWait, extra: fc.anything() }, {
      requiredKeys: [],
    }),
    check_feedback_status: fc.record({ sessionId, extra: fc.anything() }, { requiredKeys: [] }),
    cancel_feedback: fc.record({ sessionId, extra: fc.anything() }, { requiredKeys: [] }),
    list_feedback_sessions: fc.record({
      status: fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom(...SESSION_STATUSES) },
        anyText(10),
        fc.jsonValue({ maxDepth: 1 }),
      ),
      limit: fc.oneof(
        { weight: 3, arbitrary: fc.integer({ min: 1, max: 50 }) },
        fc.integer({ min: -5, max: 500 }),
        fc.double(),
        fc.jsonValue({ maxDepth: 1 }),
      ),
    }, { requiredKeys: [] }),
  };
  const call = fc.oneof(
    {
      weight: 6,
      arbitrary: fc.constantFrom(...TOOLS).chain((name) =>
        fc.record({ name: fc.constant(name), arguments: argumentsFor[name] })
      ),
    },
    // Arguments of the wrong tool, any object, or none. (Arguments that are not an object break
    // the request schema itself: the property below covers those.)
    fc.record({
      name: fc.constantFrom(...TOOLS),
      arguments: fc.oneof(
        fc.object({ maxDepth: 2 }),
        ...Object.values(argumentsFor),
        fc.constant(undefined),
      ),
    }),
    fc.record({
      name: fc.constantFrom(
        "nope",
        "interactive_feedback ",
        "INTERACTIVE_FEEDBACK",
        "",
        "__proto__",
      ),
      arguments: fc.object({ maxDepth: 1 }),
    }),
  );

  let id = 0;
  await fc.assert(
    fc.asyncProperty(call, async (params) => {
      const before = await snapshot(instance.kv);
      const sessions = await countSessions(instance.kv);
      const headers = new Headers({
        "content-type": "application/json",
        accept: ACCEPT,
        authorization: `Bearer ${token}`,
      });
      const body = stringifyAny({ jsonrpc: "2.0", id: ++id, method: "tools/call", params });
      const what = `tools/call ${body.slice(0, 400)}`;
      const { status, messages, text } = await post(url, body, headers);
      // 413 is the one transport answer a well-formed call can get (a body above `maxImageBodyBytes`).
      assert.ok(status === 200 || status === 413, `${what}: ${status} ${text.slice(0, 300)}`);
      const echoed = [String(params.name), String((params.arguments as Json)?.sessionId ?? "")];
      for (const message of messages) assertJsonRpcAnswer(message, echoed, what);
      if (status === 200) assert.equal(messages.find((m) => m.id === id)?.id, id, what);
      if (!someToolSucceeded(messages)) assertUnchanged(before, await snapshot(instance.kv), what);
      const created = params.name === "interactive_feedback" && someToolSucceeded(messages);
      assert.equal(await countSessions(instance.kv), sessions + (created ? 1 : 0), what);
      assertNoLoggedErrors(instance, what);
    }),
    fuzzParameters(150),
  );
});

Deno.test("a request whose params break the MCP request schema is answered with -32602 (invalid params), never -32603", async () => {
  await using instance = await createFuzzInstance();
  await using server = serveInstance(instance);
  const url = `${server.origin}/mcp`;
  const token = await tokenFor(randomOwner());
  // Well-formed JSON-RPC requests of methods the server handles, with params of the wrong shape:
  // arguments that are not an object, a name that is not a string, an initialize without fields.
  const request = fc.oneof(
    fc.record({
      method: fc.constant("tools/call"),
      params: fc.oneof(
        fc.record({
          name: fc.constantFrom(...TOOLS),
          arguments: fc.anything({ maxDepth: 1 }).filter((a) =>
            a !== undefined && (typeof a !== "object" || a === null || Array.isArray(a))
          ),
        }),
        fc.record({ name: fc.jsonValue({ maxDepth: 1 }).filter((n) => typeof n !== "string") }),
      ),
    }),
    fc.record({
      method: fc.constant("initialize"),
      params: fc.record({
        protocolVersion: fc.jsonValue({ maxDepth: 1 }),
        capabilities: fc.jsonValue({ maxDepth: 1 }),
      }, { requiredKeys: [] }),
    }),
  );

  await fc.assert(
    fc.asyncProperty(request, async (r) => {
      const body = stringifyAny({ jsonrpc: "2.0", id: 1, ...r });
      const headers = new Headers({
        "content-type": "application/json",
        accept: ACCEPT,
        authorization: `Bearer ${token}`,
      });
      const { status, messages, text } = await post(url, body, headers);
      const what = `${body.slice(0, 300)} -> ${status} ${text.slice(0, 300)}`;
      assert.ok(status < 500, what);
      for (const message of messages) {
        if (message.error) {
          assert.equal(message.error.code, -32602, what);
          assertNoLeak(message.error.message, what);
        }
        assertJsonRpcAnswer(message, echoedBy(body), what);
      }
    }),
    fuzzParameters(40),
  );
});

const METHODS = [
  "initialize",
  "tools/list",
  "tools/call",
  "ping",
  "resources/list",
  "prompts/list",
  "notifications/initialized",
  "notifications/cancelled",
  "completion/complete",
  "logging/setLevel",
  "tasks/list",
];

/** `params` of every shape, mostly objects with the fields some method reads. */
const anyParams = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      name: fc.constantFrom(...TOOLS, "nope"),
      arguments: fc.oneof({ weight: 3, arbitrary: fc.object({ maxDepth: 2 }) }, fc.anything()),
      _meta: fc.record({
        progressToken: fc.oneof(
          { weight: 3, arbitrary: fc.oneof(fc.integer(), anyText(8)) },
          fc.jsonValue({ maxDepth: 1 }),
        ),
      }, { requiredKeys: [] }),
      protocolVersion: fc.constantFrom("2025-06-18", "1999-01-01", ""),
      capabilities: fc.anything({ maxDepth: 1 }),
      clientInfo: fc.anything({ maxDepth: 1 }),
      cursor: anyText(10),
      level: anyText(6),
      requestId: fc.jsonValue({ maxDepth: 1 }),
    }, { requiredKeys: [] }),
  },
  fc.anything({ maxDepth: 2 }),
);

/** A JSON-RPC message as a confused or hostile client writes it: mostly well-formed. */
const jsonRpcMessage = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      jsonrpc: fc.constant("2.0"),
      id: fc.oneof(fc.integer(), anyText(10)),
      method: fc.constantFrom(...METHODS),
      params: anyParams,
    }, { requiredKeys: ["jsonrpc", "id", "method"] }),
  },
  fc.record({
    jsonrpc: fc.oneof({ weight: 4, arbitrary: fc.constant("2.0") }, fc.jsonValue({ maxDepth: 1 })),
    id: fc.oneof(fc.integer(), anyText(10), fc.constant(null), fc.jsonValue({ maxDepth: 1 })),
    method: fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...METHODS) },
      anyText(20),
      fc.jsonValue({ maxDepth: 1 }),
    ),
    params: anyParams,
    result: fc.anything({ maxDepth: 1 }),
    error: fc.anything({ maxDepth: 1 }),
  }, { requiredKeys: ["jsonrpc"] }),
);

/** A whole POST body: one message, a batch, or not JSON-RPC (or not JSON) at all. */
const mcpBody = fc.oneof(
  { weight: 4, arbitrary: jsonRpcMessage.map(stringifyAny) },
  fc.array(jsonRpcMessage, { maxLength: 5 }).map(stringifyAny),
  fc.json(),
  fc.anything({ withBigInt: true, withNullPrototype: true }).map(stringifyAny),
  anyText(50),
  fc.uint8Array({ maxLength: 100 }),
  longText(65_000, 70_000).map((s) =>
    JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping", params: { s } })
  ),
  fc.constantFrom("", "[]", "{}", "null", "[[]]", "[1,2,3]"),
);

Deno.test("arbitrary JSON-RPC envelopes and headers on /mcp are answered below 500, in JSON-RPC, and store nothing unless a tool succeeded", async () => {
  await using instance = await createFuzzInstance();
  await using server = serveInstance(instance);
  const url = `${server.origin}/mcp`;
  const token = await tokenFor(randomOwner());
  const request = fc.record({
    body: mcpBody,
    contentType: fc.oneof({ weight: 16, arbitrary: fc.constant("application/json") }, contentType),
    accept: fc.oneof(
      { weight: 16, arbitrary: fc.constant(ACCEPT) },
      fc.constantFrom(
        "application/json",
        "text/event-stream",
        "*/*",
        "",
        "text/event-stream, application/json;q=0.1",
      ),
      headerText,
    ),
    authorization: fc.oneof(
      { weight: 8, arbitrary: fc.constant(`Bearer ${token}`) },
      authorization(token),
    ),
    extra: fc.oneof(
      { weight: 3, arbitrary: fc.constant({}) },
      fc.dictionary(
        fc.constantFrom("mcp-protocol-version", "mcp-session-id", "origin", "last-event-id"),
        fc.oneof(fc.constantFrom("2025-06-18", "2024-11-05", "http://localhost:8000"), headerText),
        { maxKeys: 2 },
      ),
    ),
  });

  await fc.assert(
    fc.asyncProperty(request, async (r) => {
      const before = await snapshot(instance.kv);
      const headers = new Headers(r.extra);
      if (r.contentType !== undefined) headers.set("content-type", r.contentType);
      if (r.authorization !== undefined) headers.set("authorization", r.authorization);
      headers.set("accept", r.accept);
      const shown = typeof r.body === "string" ? r.body.slice(0, 400) : `${r.body.length} bytes`;
      const what = `POST /mcp ${JSON.stringify(Object.fromEntries(headers))} ${shown}`;
      const { status, messages, text } = await post(url, r.body, headers);
      assert.ok(status < 500, `${what}: ${status} ${text.slice(0, 300)}`);
      // Only notifications alone are answered with 202 and nothing; everything else says something.
      if (status !== 202) assert.ok(messages.length > 0, `${what}: ${status} without a message`);
      for (const message of messages) assertJsonRpcAnswer(message, echoedBy(r.body), what);
      if (!someToolSucceeded(messages)) assertUnchanged(before, await snapshot(instance.kv), what);
      assertNoLoggedErrors(instance, what);
    }),
    fuzzParameters(200),
  );
});

/** Tool names and session ids in a body, which error texts may quote back. */
function echoedBy(body: string | Uint8Array): string[] {
  if (typeof body !== "string") return [];
  try {
    const value = JSON.parse(body);
    return (Array.isArray(value) ? value : [value]).flatMap((m: Json) => [
      typeof m?.params?.name === "string" ? m.params.name : "",
      typeof m?.params?.arguments?.sessionId === "string" ? m.params.arguments.sessionId : "",
    ]);
  } catch {
    return [];
  }
}
