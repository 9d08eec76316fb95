import assert from "node:assert/strict";
import { Hono } from "hono";
import type { Logger } from "../log.ts";
import { accessLog } from "./access_log.ts";

function recordingLogger() {
  const lines: { level: string; message: string; fields?: Record<string, unknown> }[] = [];
  const at = (level: string) => (message: string, fields?: Record<string, unknown>) =>
    lines.push({ level, message, fields });
  const log: Logger = {
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
  };
  return { log, lines };
}

Deno.test("the access log hides session ids and query strings", async () => {
  const { log, lines } = recordingLogger();
  const app = new Hono();
  app.use(accessLog(log));
  app.get("/feedback/:id", (c) => c.text("ok"));
  app.get("/health", (c) => c.text("ok"));
  const id = crypto.randomUUID();
  await (await app.request(`/feedback/${id}?token=secret.jwt.here`)).text();
  await (await app.request("/health")).text();
  assert.equal(lines.length, 2);
  assert.equal(lines[0].level, "info");
  assert.deepEqual(
    { ...lines[0].fields, ms: 0 },
    { method: "GET", path: "/feedback/:id", status: 200, ms: 0 },
  );
  assert.ok(!JSON.stringify(lines).includes(id));
  assert.ok(!JSON.stringify(lines).includes("secret"));
  assert.equal(lines[1].level, "debug", "health probes stay out of the info log");
});
