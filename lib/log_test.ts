import assert from "node:assert/strict";
import { signToken } from "./auth/jwt.ts";
import { createLogger, describeError, redact } from "./log.ts";

Deno.test("redact() hides UUIDs in any case, JWTs and bearer credentials", async () => {
  const id = crypto.randomUUID();
  const token = await signToken("a-secret-of-at-least-thirty-two-bytes!", {
    subject: "owner-secret-name",
    ttl: 60,
  });
  assert.equal(redact(`/feedback/${id}`), "/feedback/:id");
  assert.equal(redact(`/ws/${id.toUpperCase()}x`), "/ws/:idx");
  assert.equal(redact(`GET /api/feedback/${token}/status`), "GET /api/feedback/:token/status");
  assert.equal(redact(`authorization: Bearer ${token}`), "authorization: Bearer :token");
  assert.equal(redact("Authorization: bearer opaque.key~+/=="), "Authorization: bearer :token");
  assert.equal(redact(`failed on ${id}, then ${crypto.randomUUID()}`), "failed on :id, then :id");
});

Deno.test("redact() keeps the surrounding JSON intact and leaves other text alone", () => {
  const id = crypto.randomUUID();
  const line = JSON.stringify({ header: "Bearer abc.def", path: `/feedback/${id}`, n: 3 });
  assert.deepEqual(JSON.parse(redact(line)), {
    header: "Bearer :token",
    path: "/feedback/:id",
    n: 3,
  });
  const plain = '{"message":"request","path":"/api/feedback/list","status":200,"ms":1.5}';
  assert.equal(redact(plain), plain);
  assert.equal(redact("versionstamp 00000000000000010000"), "versionstamp 00000000000000010000");
});

Deno.test("createLogger() redacts every line it writes: message, fields, error text and stack", () => {
  const id = crypto.randomUUID();
  const written: string[] = [];
  const { log, error } = console;
  console.log = (line: string) => written.push(line);
  console.error = (line: string) => written.push(line);
  try {
    const logger = createLogger("debug");
    logger.debug(`opened ${id}`, { sessionId: id, nested: { ids: [id] } });
    logger.error("failed", describeError(new Error(`contention on ${id}`)));
    createLogger("info").debug(`dropped ${id}`);
  } finally {
    console.log = log;
    console.error = error;
  }
  assert.equal(written.length, 2);
  assert.ok(written.every((line) => !line.includes(id)), written.join("\n"));
  const [opened, failed] = written.map((line) => JSON.parse(line));
  assert.equal(opened.message, "opened :id");
  assert.deepEqual(opened.nested, { ids: [":id"] });
  assert.equal(failed.error, "contention on :id");
  assert.match(failed.stack, /^Error: contention on :id\n/);
});
