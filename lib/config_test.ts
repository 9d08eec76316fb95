import assert from "node:assert/strict";
import { ConfigError, loadConfig, parseDuration } from "./config.ts";

const SECRET = "x".repeat(32);

Deno.test("loadConfig applies the contract's defaults", () => {
  const config = loadConfig({ JWT_SECRET: SECRET });
  assert.equal(config.port, 8000);
  assert.equal(config.hostname, "127.0.0.1");
  assert.equal(config.publicBaseUrl, "http://localhost:8000");
  assert.equal(config.jwt.maxTtl, 90 * 86400);
  assert.deepEqual(config.jwt.previousSecrets, []);
  assert.equal(config.feedback.defaultTimeout, 300);
  assert.equal(config.feedback.minTimeout, 30);
  assert.equal(config.feedback.maxTimeout, 3600);
  assert.equal(config.feedback.retention, 86400);
  assert.equal(config.feedback.maxMessageLength, 8000);
  assert.equal(config.feedback.maxOptions, 10);
  assert.equal(config.feedback.maxOptionLength, 100);
  assert.equal(config.logLevel, "info");
  assert.deepEqual(config.corsOrigins, []);
});

Deno.test("loadConfig refuses to start without JWT_SECRET and names the variable", () => {
  assert.throws(
    () => loadConfig({}),
    (e) => e instanceof ConfigError && /JWT_SECRET/.test(e.message),
  );
  assert.throws(() => loadConfig({ JWT_SECRET: "" }), ConfigError);
});

Deno.test("loadConfig rejects a JWT_SECRET shorter than 32 bytes", () => {
  assert.throws(
    () => loadConfig({ JWT_SECRET: "short" }),
    (e) => e instanceof ConfigError && /JWT_SECRET: must be at least 32 bytes/.test(e.message),
  );
});

Deno.test("loadConfig names every bad variable", async (t) => {
  const cases: Record<string, string> = {
    PORT: "eighty",
    PUBLIC_BASE_URL: "not a url",
    JWT_MAX_TTL: "forever",
    FEEDBACK_MAX_OPTIONS: "-1",
    LOG_LEVEL: "loud",
    JWT_PREVIOUS_SECRETS: "tooshort",
  };
  for (const [name, value] of Object.entries(cases)) {
    await t.step(name, () => {
      assert.throws(
        () => loadConfig({ JWT_SECRET: SECRET, [name]: value }),
        (e) => e instanceof ConfigError && e.message.includes(name),
      );
    });
  }
});

Deno.test("loadConfig rejects timeout limits that contradict each other", () => {
  assert.throws(
    () =>
      loadConfig({ JWT_SECRET: SECRET, FEEDBACK_MIN_TIMEOUT: "100", FEEDBACK_MAX_TIMEOUT: "50" }),
    (e) => e instanceof ConfigError && /FEEDBACK_MIN_TIMEOUT/.test(e.message),
  );
  assert.throws(
    () => loadConfig({ JWT_SECRET: SECRET, FEEDBACK_DEFAULT_TIMEOUT: "10" }),
    (e) => e instanceof ConfigError && /FEEDBACK_DEFAULT_TIMEOUT/.test(e.message),
  );
});

Deno.test("loadConfig parses lists, origins and the public URL", () => {
  const config = loadConfig({
    JWT_SECRET: SECRET,
    JWT_PREVIOUS_SECRETS: `${"a".repeat(32)}, ${"b".repeat(32)}`,
    CORS_ORIGINS: "https://a.example, https://b.example",
    PUBLIC_BASE_URL: "https://feedback.example.com/",
    PORT: "9000",
  });
  assert.deepEqual(config.jwt.previousSecrets, ["a".repeat(32), "b".repeat(32)]);
  assert.deepEqual(config.corsOrigins, ["https://a.example", "https://b.example"]);
  assert.equal(config.publicBaseUrl, "https://feedback.example.com");
});

Deno.test("parseDuration reads units and plain seconds", () => {
  assert.equal(parseDuration("90d"), 90 * 86400);
  assert.equal(parseDuration("12h"), 12 * 3600);
  assert.equal(parseDuration("30m"), 1800);
  assert.equal(parseDuration("45"), 45);
  assert.equal(parseDuration("soon"), undefined);
});

Deno.test("loadConfig refuses text limits whose sessions could not fit in one KV value", () => {
  assert.throws(
    () => loadConfig({ JWT_SECRET: SECRET, FEEDBACK_MAX_MESSAGE_LENGTH: "60000" }),
    (e) => e instanceof ConfigError && /64 KiB|Deno KV value/.test(e.message),
  );
  assert.ok(loadConfig({ JWT_SECRET: SECRET, FEEDBACK_MAX_MESSAGE_LENGTH: "20000" }));
});

Deno.test("PUBLIC_BASE_URL must be an origin, without a path", () => {
  assert.throws(
    () => loadConfig({ JWT_SECRET: SECRET, PUBLIC_BASE_URL: "https://example.com/base" }),
    (e) => e instanceof ConfigError && /PUBLIC_BASE_URL/.test(e.message),
  );
});

Deno.test("loadConfig reads the per-owner quotas, 0 turning one off", () => {
  assert.deepEqual(loadConfig({ JWT_SECRET: SECRET }).ownerQuotas, {
    maxPending: 200,
    maxWaits: 100,
    maxSockets: 100,
    maxImageBytes: 256 * 1024 * 1024,
  });
  const config = loadConfig({
    JWT_SECRET: SECRET,
    OWNER_MAX_PENDING: "0",
    OWNER_MAX_WAITS: "5",
    OWNER_MAX_SOCKETS: "7",
    OWNER_MAX_IMAGE_BYTES: "0",
  });
  assert.deepEqual(config.ownerQuotas, {
    maxPending: 0,
    maxWaits: 5,
    maxSockets: 7,
    maxImageBytes: 0,
  });
  for (
    const name of [
      "OWNER_MAX_PENDING",
      "OWNER_MAX_WAITS",
      "OWNER_MAX_SOCKETS",
      "OWNER_MAX_IMAGE_BYTES",
    ]
  ) {
    assert.throws(
      () => loadConfig({ JWT_SECRET: SECRET, [name]: "-1" }),
      (e) => e instanceof ConfigError && e.message.includes(name),
    );
  }
});

Deno.test("MCP_PROGRESS_HOLD defaults to MCP_MAX_WAIT and is never below it", () => {
  assert.equal(loadConfig({ JWT_SECRET: SECRET }).mcp.progressHold, 45);
  assert.equal(
    loadConfig({ JWT_SECRET: SECRET, MCP_MAX_WAIT: "20", MCP_PROGRESS_HOLD: "240" }).mcp
      .progressHold,
    240,
  );
  assert.equal(
    loadConfig({ JWT_SECRET: SECRET, MCP_MAX_WAIT: "20", MCP_PROGRESS_HOLD: "5" }).mcp.progressHold,
    20,
  );
  assert.throws(() => loadConfig({ JWT_SECRET: SECRET, MCP_PROGRESS_HOLD: "241" }), ConfigError);
});

Deno.test("MCP_MAX_WAIT defaults to 45 s and accepts 1 to 240 s only", () => {
  assert.equal(loadConfig({ JWT_SECRET: SECRET }).mcp.maxWait, 45);
  assert.equal(loadConfig({ JWT_SECRET: SECRET, MCP_MAX_WAIT: "2" }).mcp.maxWait, 2);
  assert.equal(loadConfig({ JWT_SECRET: SECRET, MCP_MAX_WAIT: "240" }).mcp.maxWait, 240);
  for (const bad of ["0", "241", "1.5", "soon"]) {
    assert.throws(
      () => loadConfig({ JWT_SECRET: SECRET, MCP_MAX_WAIT: bad }),
      (e) => e instanceof ConfigError && e.message.includes("MCP_MAX_WAIT"),
      bad,
    );
  }
});

Deno.test("image limits default to 4 images of 2 MiB, and the image body cap fits them in base64", () => {
  const config = loadConfig({ JWT_SECRET: SECRET });
  assert.equal(config.feedback.maxImages, 4);
  assert.equal(config.feedback.maxImageBytes, 2 * 1024 * 1024);
  const base64 = 4 * Math.ceil((2 * 1024 * 1024) / 3);
  assert.ok(config.maxImageBodyBytes >= config.maxBodyBytes + 4 * base64);
  assert.ok(config.maxImageBodyBytes <= config.maxBodyBytes + 4 * (base64 + 4096));

  const off = loadConfig({ JWT_SECRET: SECRET, FEEDBACK_MAX_IMAGES: "0" });
  assert.equal(off.feedback.maxImages, 0);
  assert.equal(off.maxImageBodyBytes, off.maxBodyBytes, "no images: no room for them either");

  for (const [name, value] of [["FEEDBACK_MAX_IMAGES", "-1"], ["FEEDBACK_MAX_IMAGE_BYTES", "0"]]) {
    assert.throws(
      () => loadConfig({ JWT_SECRET: SECRET, [name]: value }),
      (e) => e instanceof ConfigError && e.message.includes(name),
    );
  }
});
