/**
 * Real third-party MCP clients against a real server on port 0: `mcp-remote` as a stdio proxy
 * (configured exactly as the README's Claude Desktop snippet), the MCP Inspector CLI, and the MCP
 * conformance suite. The clients come from `tools/node_modules` (`npm ci --prefix tools`); the
 * conformance suite runs under Deno because it needs Node 22 or later. Every child process has a
 * deadline and is killed when the test ends.
 */
import assert from "node:assert/strict";
import { randomOwner, tokenFor } from "./_helpers.ts";
import { serveInstance, submitViaApi, untilWaiting } from "./_mcp_helpers.ts";

const BIN = new URL("../tools/node_modules/.bin/", import.meta.url).pathname;
const CONFORMANCE = "npm:@modelcontextprotocol/conformance@0.1.16";

/** What a child needs from this environment to reach the npm registry (certificates, proxies). */
const NETWORK_VARIABLES = [
  "SSL_CERT_FILE",
  "SSL_CERT_DIR",
  "NODE_EXTRA_CA_CERTS",
  "DENO_CERT",
  "DENO_TLS_CA_STORE",
  "HTTPS_PROXY",
  "HTTP_PROXY",
  "NO_PROXY",
  "NPM_CONFIG_REGISTRY",
];

function networkEnv(): Record<string, string> {
  return Object.fromEntries(
    NETWORK_VARIABLES.flatMap((name) => {
      const value = Deno.env.get(name);
      return value === undefined ? [] : [[name, value]];
    }),
  );
}

/** A scratch HOME, so clients write their caches and catalogs nowhere else. */
async function scratchEnv(): Promise<Record<string, string> & AsyncDisposable> {
  const home = await Deno.makeTempDir({ prefix: "mcp-client-home-" });
  return {
    ...networkEnv(),
    HOME: home,
    PATH: Deno.env.get("PATH") ?? "",
    NO_COLOR: "1",
    MCP_REMOTE_CONFIG_DIR: `${home}/.mcp-auth`,
    MCP_CATALOG_PATH: `${home}/catalog.json`,
    async [Symbol.asyncDispose]() {
      await Deno.remove(home, { recursive: true });
    },
  };
}

/** Runs a command to completion, killing it if it outlives `timeoutMs`. */
async function run(
  command: string,
  args: string[],
  options: { env: Record<string, string>; cwd?: string; timeoutMs: number },
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = new Deno.Command(command, {
    args,
    env: options.env,
    clearEnv: true,
    cwd: options.cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs);
  try {
    const { code, stdout, stderr } = await child.output();
    const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
    return { code, stdout: decode(stdout), stderr: decode(stderr) };
  } finally {
    clearTimeout(timer);
  }
}

Deno.test({
  name:
    "mcp-remote proxies initialize, tools/list, a question and its answer over stdio with --header",
  sanitizeResources: true,
  async fn() {
    await using served = await serveInstance();
    await using env = await scratchEnv();
    const owner = randomOwner();
    const token = await tokenFor(owner);
    // Exactly the README's Claude Desktop entry: the header names a variable, the value is in env.
    const child = new Deno.Command(`${BIN}mcp-remote`, {
      args: [served.mcpUrl, "--header", "Authorization:${AUTH_HEADER}"],
      env: { ...env, AUTH_HEADER: `Bearer ${token}` },
      clearEnv: true,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const killer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    const stderr = new Response(child.stderr).text();
    const writer = child.stdin.getWriter();
    const lines = child.stdout.pipeThrough(new TextDecoderStream()).pipeThrough(lineSplitter())
      .getReader();
    const send = (message: unknown) =>
      writer.write(new TextEncoder().encode(`${JSON.stringify(message)}\n`));
    const answerTo = async (id: number) => {
      while (true) {
        const { done, value } = await lines.read();
        if (done) throw new Error(`mcp-remote closed before answering ${id}: ${await stderr}`);
        const message = JSON.parse(value);
        if (message.id === id) return message;
      }
    };
    try {
      await send({
        jsonrpc: "2.0",
        id: 1,
        method: "initialize",
        params: {
          protocolVersion: "2025-06-18",
          capabilities: {},
          clientInfo: { name: "stdio-test", version: "1.0.0" },
        },
      });
      const init = await answerTo(1);
      assert.equal(init.result.serverInfo.name, "interactive-feedback");
      await send({ jsonrpc: "2.0", method: "notifications/initialized" });

      await send({ jsonrpc: "2.0", id: 2, method: "tools/list" });
      const list = await answerTo(2);
      assert.equal(list.result.tools.length, 5);

      await send({
        jsonrpc: "2.0",
        id: 3,
        method: "tools/call",
        params: {
          name: "interactive_feedback",
          arguments: { message: "Asked through mcp-remote" },
        },
      });
      const call = await answerTo(3);
      assert.equal(call.result.isError, undefined);
      const { sessionId, status } = call.result.structuredContent;
      assert.equal(status, "pending");
      const stored = await served.instance.services.feedback.getOwned(owner, sessionId);
      assert.equal(stored.message, "Asked through mcp-remote");

      // The agent waits; the human answers; the answer travels back through the proxy.
      await send({
        jsonrpc: "2.0",
        id: 4,
        method: "tools/call",
        params: { name: "get_feedback_result", arguments: { sessionId, wait: 30 } },
      });
      await untilWaiting(served.instance);
      const res = await submitViaApi(served.instance, sessionId, { freeText: "Go ahead" });
      assert.equal(res.status, 200);
      await res.body?.cancel();
      const answer = await answerTo(4);
      assert.equal(answer.result.structuredContent.status, "completed");
      assert.match(answer.result.content[0].text, /^The user answered:\n\nGo ahead\n/);
    } finally {
      clearTimeout(killer);
      await writer.close().catch(() => {});
      lines.releaseLock();
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      await child.status;
      await stderr;
      await child.stdout.cancel().catch(() => {});
    }
  },
});

Deno.test("the MCP Inspector CLI lists the tools with a bearer header", async () => {
  await using served = await serveInstance();
  await using env = await scratchEnv();
  const token = await tokenFor(randomOwner());
  const { code, stdout, stderr } = await run(`${BIN}inspector`, [
    "--cli",
    served.mcpUrl,
    "--transport",
    "http",
    "--header",
    `Authorization: Bearer ${token}`,
    "--method",
    "tools/list",
  ], { env, timeoutMs: 60_000 });
  assert.equal(code, 0, stderr);
  const names = JSON.parse(stdout).tools.map((t: { name: string }) => t.name).sort();
  assert.deepEqual(names, [
    "cancel_feedback",
    "check_feedback_status",
    "get_feedback_result",
    "interactive_feedback",
    "list_feedback_sessions",
  ]);
});

Deno.test("the MCP conformance suite passes its server scenarios", async (t) => {
  // The suite cannot send headers: this server acts for a fixed test owner (an option only a
  // test can pass to createMcpApp; see McpAppOptions.unauthenticatedOwnerForTests).
  await using served = await serveInstance({
    mcp: { unauthenticatedOwnerForTests: "conformance-suite" },
  });
  await using env = await scratchEnv();
  for (const scenario of ["server-initialize", "ping", "tools-list", "dns-rebinding-protection"]) {
    await t.step(scenario, async () => {
      const { code, stdout, stderr } = await run(Deno.execPath(), [
        "run",
        "-A",
        "--no-lock",
        CONFORMANCE,
        "server",
        "--url",
        served.mcpUrl,
        "--scenario",
        scenario,
      ], { env: { ...env, DENO_DIR: denoDir() }, cwd: env.HOME, timeoutMs: 120_000 });
      assert.equal(code, 0, `${stdout}\n${stderr}`);
      assert.match(stdout, /Passed: (\d+)\/\1, 0 failed/);
    });
  }
});

/** The Deno cache the test itself uses, so the suite is not downloaded again. */
function denoDir(): string {
  const cache = Deno.env.get("XDG_CACHE_HOME") ?? `${Deno.env.get("HOME")}/.cache`;
  return Deno.env.get("DENO_DIR") ?? `${cache}/deno`;
}

/** Splits a text stream into lines. */
function lineSplitter(): TransformStream<string, string> {
  let buffer = "";
  return new TransformStream({
    transform(chunk, controller) {
      buffer += chunk;
      const parts = buffer.split("\n");
      buffer = parts.pop() ?? "";
      for (const part of parts) if (part.trim()) controller.enqueue(part);
    },
    flush(controller) {
      if (buffer.trim()) controller.enqueue(buffer);
    },
  });
}
