import assert from "node:assert/strict";
import { Hono } from "hono";
import { clientAddress } from "./limits.ts";

/** The address `clientAddress` sees for a request with `headers`, served with handler info `env`. */
async function addressOf(
  env: unknown,
  options: { trustProxy?: boolean; headers?: HeadersInit } = {},
): Promise<string> {
  const app = new Hono();
  app.get("/", (c) => c.text(clientAddress(c, options.trustProxy ?? false)));
  const res = await app.request("/", { headers: options.headers }, env);
  return await res.text();
}

const served = (hostname: string) => ({ remoteAddr: { transport: "tcp", hostname, port: 4711 } });

Deno.test("clientAddress reads the connection's address, IPv4-mapped and IPv6 /64 folded", async () => {
  assert.equal(await addressOf(served("203.0.113.7")), "203.0.113.7");
  assert.equal(await addressOf(served("::ffff:203.0.113.7")), "203.0.113.7");
  assert.equal(await addressOf(served("2001:db8:1:2:3:4:5:6")), "2001:db8:1:2");
});

Deno.test("clientAddress falls back to one 'unknown' address without a connection", async () => {
  assert.equal(await addressOf(undefined), "unknown");
  assert.equal(await addressOf({}), "unknown");
  assert.equal(
    await addressOf({ remoteAddr: { transport: "unix", path: "/run/s.sock" } }),
    "unknown",
  );
});

Deno.test("clientAddress takes X-Forwarded-For's last hop only behind a trusted proxy", async () => {
  const headers = { "X-Forwarded-For": "198.51.100.9, 203.0.113.2" };
  assert.equal(await addressOf(served("10.0.0.1"), { headers }), "10.0.0.1");
  assert.equal(await addressOf(served("10.0.0.1"), { headers, trustProxy: true }), "203.0.113.2");
});
