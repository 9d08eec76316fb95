/**
 * The life of one upgraded socket and its slot, on a real server: a client that hangs up before
 * the upgrade completes must not keep its place in the registry.
 */
import assert from "node:assert/strict";
import { createLogger } from "../lib/log.ts";
import { serveConnection } from "../lib/ws/connection.ts";
import { SocketRegistry } from "../lib/ws/registry.ts";
import { TestClient } from "./_ws_client.ts";
import { eventually, quietPeriod } from "./_wait.ts";

const UPGRADE_REQUEST = [
  "GET /ws HTTP/1.1",
  "Host: 127.0.0.1",
  "Upgrade: websocket",
  "Connection: Upgrade",
  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
  "Sec-WebSocket-Version: 13",
  "",
  "",
].join("\r\n");

/** The open timeout the test server gives its sockets. */
const OPEN_TIMEOUT_MS = 200;

/**
 * A server that, like the app, awaits something (here: a gate the test opens) between receiving
 * the request and upgrading it, then serves the socket with a short open timeout.
 */
function gatedServer(registry: SocketRegistry, gate: Promise<void>) {
  const opened: string[] = [];
  const closed: string[] = [];
  /** Requests whose client hung up (the server saw their connection close). */
  const hungUp: Request[] = [];
  const stop = new AbortController();
  const options = { port: 0, hostname: "127.0.0.1", signal: stop.signal, onListen() {} };
  const server = Deno.serve(options, async (request) => {
    request.signal.addEventListener("abort", () => hungUp.push(request));
    await gate;
    const admission = registry.admit("session:test");
    assert.ok(admission.ok);
    const { socket, response } = Deno.upgradeWebSocket(request);
    serveConnection(socket, {
      slot: admission.slot,
      log: createLogger("silent"),
      now: () => Date.now(),
      sessionId: null,
      openTimeoutMs: OPEN_TIMEOUT_MS,
      onOpen: (connection) => void opened.push(connection.clientId),
      onClose: (connection) => void closed.push(connection.clientId),
    });
    return response;
  });
  // Deno never finishes the abandoned upgrade, so a graceful shutdown would wait for it forever.
  const abort = async () => {
    stop.abort();
    await server.finished;
  };
  return { server, opened, closed, hungUp, abort };
}

function registry(): SocketRegistry {
  return new SocketRegistry({ maxSockets: 10, maxPerScope: 5, idleTimeoutMs: 60_000 });
}

Deno.test("a client that hangs up before the upgrade completes does not keep its slot", async () => {
  const sockets = registry();
  let openGate!: () => void;
  const { server, opened, closed, hungUp, abort } = gatedServer(
    sockets,
    new Promise((resolve) => openGate = resolve),
  );
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
  await conn.write(new TextEncoder().encode(UPGRADE_REQUEST));
  conn.close();
  // The server notices the hang-up before the handler upgrades.
  await eventually(() => hungUp.length === 1, "the server saw the hang-up");
  openGate();
  await eventually(() => sockets.stats().sockets === 1, { what: "the slot is taken" });

  // The socket never fires open, error or close: only the open timeout frees the slot.
  await eventually(() => sockets.stats().sockets === 0, { what: "the slot is released" });
  assert.deepEqual(sockets.stats(), { sockets: 0, scopes: 0 });
  assert.deepEqual(opened, [], "onOpen never ran");
  assert.deepEqual(closed, [], "onClose only follows onOpen");
  await abort();
});

Deno.test("a socket that opens in time keeps its slot past the open timeout", async () => {
  const sockets = registry();
  const { server, opened, closed } = gatedServer(sockets, Promise.resolve());
  const client = await TestClient.open(`ws://127.0.0.1:${server.addr.port}/ws`);
  await eventually(() => opened.length === 1, { what: "onOpen ran" });
  // Outlive the open timeout: a timer as long, started after the server's, fires after it.
  await quietPeriod(OPEN_TIMEOUT_MS);
  assert.equal(sockets.stats().sockets, 1, "the open timer was cleared on open");
  await client.close();
  await eventually(() => closed.length === 1, { what: "onClose ran" });
  assert.deepEqual(sockets.stats(), { sockets: 0, scopes: 0 });
  await server.shutdown();
});
