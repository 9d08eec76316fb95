/**
 * The MCP endpoint at the HTTP level, with raw `fetch` against a real server on port 0: auth,
 * Host/Origin checks, methods, and the answers to malformed, batched and oversized requests.
 */
import assert from "node:assert/strict";
import { randomOwner, tokenFor } from "./_helpers.ts";
import { connectClient, serveInstance } from "./_mcp_helpers.ts";

const ACCEPT = "application/json, text/event-stream";

const initialize = (id = 1) => ({
  jsonrpc: "2.0",
  id,
  method: "initialize",
  params: {
    protocolVersion: "2025-06-18",
    capabilities: {},
    clientInfo: { name: "raw-fetch", version: "1.0.0" },
  },
});

/** POSTs a JSON-RPC body (or raw text) to the MCP endpoint. */
async function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: ACCEPT, ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

/**
 * POSTs over a raw TCP connection, because `fetch` will not send a Host header of our choosing:
 * the DNS-rebinding checks need exactly that.
 */
async function postRaw(
  origin: string,
  body: unknown,
  headers: Record<string, string>,
): Promise<Response> {
  const url = new URL(origin);
  const conn = await Deno.connect({ hostname: url.hostname, port: Number(url.port) });
  const payload = new TextEncoder().encode(JSON.stringify(body));
  const all: Record<string, string> = {
    Host: url.host,
    "Content-Type": "application/json",
    Accept: ACCEPT,
    "Content-Length": String(payload.byteLength),
    Connection: "close",
    ...headers,
  };
  const head = `POST /mcp HTTP/1.1\r\n${
    Object.entries(all).map(([k, v]) => `${k}: ${v}\r\n`).join("")
  }\r\n`;
  const writer = conn.writable.getWriter();
  await writer.write(new TextEncoder().encode(head));
  await writer.write(payload);
  writer.releaseLock();
  const raw = new TextDecoder().decode(await new Response(conn.readable).arrayBuffer());
  const [headText, ...rest] = raw.split("\r\n\r\n");
  const [statusLine, ...headerLines] = headText.split("\r\n");
  const responseHeaders = new Headers(
    headerLines.map((line) => line.split(/:\s*/, 2) as [string, string]),
  );
  let text = rest.join("\r\n\r\n");
  if (responseHeaders.get("transfer-encoding") === "chunked") text = unchunk(text);
  return new Response(text, { status: Number(statusLine.split(" ")[1]), headers: responseHeaders });
}

/** Decodes an HTTP/1.1 chunked body. */
function unchunk(text: string): string {
  let out = "";
  let rest = text;
  while (rest.length) {
    const end = rest.indexOf("\r\n");
    const size = parseInt(rest.slice(0, end), 16);
    if (!size) break;
    out += rest.slice(end + 2, end + 2 + size);
    rest = rest.slice(end + 2 + size + 2);
  }
  return out;
}

/** The JSON-RPC messages in an SSE (or JSON) response body. */
async function messagesOf(res: Response): Promise<Record<string, unknown>[]> {
  const text = await res.text();
  if (res.headers.get("content-type")?.includes("application/json")) {
    const value = JSON.parse(text);
    return Array.isArray(value) ? value : [value];
  }
  return text.split("\n").filter((line) => line.startsWith("data: ")).map((line) =>
    JSON.parse(line.slice(6))
  );
}

Deno.test("POST /mcp without a token is a 401 with WWW-Authenticate", async () => {
  await using served = await serveInstance();
  const res = await post(served.mcpUrl, initialize());
  assert.equal(res.status, 401);
  assert.equal(res.headers.get("www-authenticate"), 'Bearer realm="interactive-feedback"');
  const body = await res.json();
  assert.equal(body.jsonrpc, "2.0");
  assert.equal(body.error.code, -32001);
  assert.match(body.error.message, /Authorization: Bearer/);
});

Deno.test("a bad, expired or foreign-signed token is a 401 with error=invalid_token", async (t) => {
  await using served = await serveInstance();
  const { signToken } = await import("../lib/auth/jwt.ts");
  const tokens = {
    "garbage": "not-a-jwt",
    "expired": await tokenFor(randomOwner(), -120),
    "signed with another key": await signToken("another-secret-another-secret-0123456789", {
      subject: "mallory",
      ttl: 3600,
    }),
  };
  for (const [name, token] of Object.entries(tokens)) {
    await t.step(name, async () => {
      const res = await post(served.mcpUrl, initialize(), { Authorization: `Bearer ${token}` });
      assert.equal(res.status, 401);
      assert.equal(
        res.headers.get("www-authenticate"),
        'Bearer realm="interactive-feedback", error="invalid_token"',
      );
      const body = await res.json();
      assert.ok(!JSON.stringify(body).includes(token), "the token is never echoed");
    });
  }
});

Deno.test("the SDK client without a token fails to connect with a 401", async () => {
  await using served = await serveInstance();
  const { Client, StreamableHTTPClientTransport } = await import("./_mcp_helpers.ts");
  const client = new Client({ name: "no-token", version: "1.0.0" });
  await assert.rejects(
    () => client.connect(new StreamableHTTPClientTransport(new URL(served.mcpUrl))),
    (error: Error & { code?: number }) => error.code === 401 && /Unauthorized/.test(error.message),
  );
  await client.close();
});

Deno.test("a foreign Host or Origin is refused with 403 (DNS-rebinding protection)", async (t) => {
  await using served = await serveInstance({
    env: { PUBLIC_BASE_URL: "https://feedback.example.org" },
  });
  const auth = { Authorization: `Bearer ${await tokenFor(randomOwner())}` };
  const port = new URL(served.origin).port;

  const refused = {
    "an attacker's Host": { Host: "evil.example.com" },
    "an attacker's Host with the right port": { Host: `evil.example.com:${port}` },
    "the public host on the wrong port": { Host: "feedback.example.org:8443" },
    "an attacker's Origin": { Origin: "http://evil.example.com" },
    "the opaque Origin null": { Origin: "null" },
    "the public host over the wrong scheme": { Origin: "http://feedback.example.org" },
  };
  for (const [name, headers] of Object.entries(refused)) {
    await t.step(`refuses ${name}`, async () => {
      const res = await postRaw(served.origin, initialize(), { ...auth, ...headers });
      assert.equal(res.status, 403);
      const body = await res.json();
      assert.match(body.error.message, /^Forbidden/);
      assert.ok(!JSON.stringify(body).includes("evil"), "the header is not echoed");
    });
  }

  const accepted = {
    "loopback by IP": {},
    "localhost with an Origin on any port": {
      Host: `localhost:${port}`,
      Origin: "http://localhost:3000",
    },
    "the public origin": { Host: "feedback.example.org", Origin: "https://feedback.example.org" },
    "the public origin with its default port": { Host: "feedback.example.org:443" },
    "IPv6 loopback": { Host: `[::1]:${port}` },
  };
  for (const [name, headers] of Object.entries(accepted)) {
    await t.step(`accepts ${name}`, async () => {
      const res = await postRaw(served.origin, initialize(), { ...auth, ...headers });
      assert.equal(res.status, 200);
      const [message] = await messagesOf(res);
      assert.equal(message.id, 1);
    });
  }
});

Deno.test("GET, DELETE and other methods are 405 with Allow: POST", async () => {
  await using served = await serveInstance();
  const auth = { Authorization: `Bearer ${await tokenFor(randomOwner())}` };
  for (const method of ["GET", "DELETE", "PUT", "PATCH"]) {
    const res = await fetch(served.mcpUrl, {
      method,
      headers: { ...auth, Accept: "text/event-stream" },
    });
    assert.equal(res.status, 405, method);
    assert.equal(res.headers.get("allow"), "POST");
    const body = await res.json();
    assert.equal(body.error.code, -32000);
  }
});

Deno.test("malformed JSON and invalid JSON-RPC are clean 400s", async (t) => {
  await using served = await serveInstance();
  const auth = { Authorization: `Bearer ${await tokenFor(randomOwner())}` };
  const cases: [string, string, number][] = [
    ["broken JSON", '{"jsonrpc":"2.0",', -32700],
    // JSON-RPC 2.0 §5.1: valid JSON that is no request is an "Invalid Request" (SDK v2).
    ["a JSON value that is no message", '{"hello":"world"}', -32600],
    ["a request without a method", '{"jsonrpc":"2.0","id":1}', -32600],
  ];
  for (const [name, body, code] of cases) {
    await t.step(name, async () => {
      const res = await post(served.mcpUrl, body, auth);
      assert.equal(res.status, 400);
      const json = await res.json();
      assert.equal(json.error.code, code);
      assert.equal(json.id, null);
    });
  }
  await t.step("the wrong content type is 415", async () => {
    const res = await post(served.mcpUrl, JSON.stringify(initialize()), {
      ...auth,
      "Content-Type": "text/plain",
    });
    assert.equal(res.status, 415);
    await res.body?.cancel();
  });
  await t.step("an Accept without text/event-stream is 406", async () => {
    const res = await post(served.mcpUrl, initialize(), { ...auth, Accept: "application/json" });
    assert.equal(res.status, 406);
    await res.body?.cancel();
  });
  await t.step("an unknown JSON-RPC method is a JSON-RPC error, not an HTTP failure", async () => {
    const res = await post(served.mcpUrl, { jsonrpc: "2.0", id: 7, method: "no/such" }, auth);
    assert.equal(res.status, 200);
    const [message] = await messagesOf(res);
    assert.equal((message.error as { code: number }).code, -32601);
  });
});

Deno.test("a body above maxImageBodyBytes (room for the images a call may carry) is refused with 413 before it is parsed", async () => {
  await using served = await serveInstance();
  const auth = { Authorization: `Bearer ${await tokenFor(randomOwner())}` };
  const cap = served.instance.services.config.maxImageBodyBytes;
  const big = {
    jsonrpc: "2.0",
    id: 1,
    method: "tools/call",
    params: { name: "interactive_feedback", arguments: { message: "x".repeat(cap) } },
  };
  const res = await post(served.mcpUrl, big, auth);
  assert.equal(res.status, 413);
  const body = await res.json();
  assert.match(body.error.message, new RegExp(`${cap} bytes`));
  assert.equal(
    (await served.instance.services.feedback.list("nobody")).items.length,
    0,
  );
});

Deno.test("a batch of requests is answered message by message", async () => {
  await using served = await serveInstance();
  const owner = randomOwner();
  const auth = { Authorization: `Bearer ${await tokenFor(owner)}` };
  const res = await post(served.mcpUrl, [
    { jsonrpc: "2.0", id: 1, method: "tools/list" },
    { jsonrpc: "2.0", id: 2, method: "ping" },
  ], auth);
  assert.equal(res.status, 200);
  const messages = await messagesOf(res);
  assert.deepEqual(messages.map((m) => m.id).sort(), [1, 2]);
  const list = messages.find((m) => m.id === 1)!.result as { tools: unknown[] };
  assert.equal(list.tools.length, 7, "five tools and the inline form's two app-only ones");

  const withInit = await post(served.mcpUrl, [initialize(1), {
    jsonrpc: "2.0",
    id: 2,
    method: "ping",
  }], auth);
  assert.equal(withInit.status, 400, "initialize may not share a batch");
  await withInit.body?.cancel();
});

Deno.test("each request is served statelessly: no session id is handed out or needed", async () => {
  await using served = await serveInstance();
  const auth = { Authorization: `Bearer ${await tokenFor(randomOwner())}` };
  const init = await post(served.mcpUrl, initialize(), auth);
  assert.equal(init.headers.get("mcp-session-id"), null);
  await init.body?.cancel();
  const call = await post(served.mcpUrl, {
    jsonrpc: "2.0",
    id: 2,
    method: "tools/call",
    params: { name: "interactive_feedback", arguments: { message: "Stateless?" } },
  }, { ...auth, "MCP-Protocol-Version": "2025-06-18" });
  assert.equal(call.status, 200);
  const [message] = await messagesOf(call);
  const result = message.result as { structuredContent: { status: string } };
  assert.equal(result.structuredContent.status, "pending");
});

Deno.test("the SDK client connects with a token over the real app composition", async () => {
  await using served = await serveInstance();
  await using mcp = await connectClient(served.mcpUrl, await tokenFor(randomOwner()));
  assert.equal(mcp.client.getServerVersion()?.name, "interactive-feedback");
  await mcp.client.ping();
});
