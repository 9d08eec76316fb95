/**
 * Shared pieces of the property-based fuzz suite (`tests/fuzz_*_test.ts`, fast-check): the run
 * parameters, an instance that records error logs, arbitraries for hostile input, and the
 * assertions every property shares (the envelope, a time bound, "nothing stored").
 *
 * Runs are reproducible: every property uses the seed `FUZZ_SEED` (a fixed default, so CI sees the
 * same cases every time; `FUZZ_SEED=random` picks a fresh one) and `FUZZ_RUNS` (overrides each
 * property's own number of runs). A failing property prints its seed, the shrunk counterexample
 * and the `path` that replays it.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { createApp } from "../app.ts";
import { type ErrorCode, httpStatusOf } from "../lib/errors.ts";
import { codePointLength } from "../lib/feedback/model.ts";
import { feedbackPrefix, sessionPrefix } from "../lib/feedback/store.ts";
import type { Logger } from "../lib/log.ts";
import { closeRealtime, createServices } from "../lib/services.ts";
import { testConfig, type TestInstance } from "./_helpers.ts";

/** The seed used when `FUZZ_SEED` is unset (issue 8). */
const DEFAULT_SEED = 8_2026;

/** `fc.assert` parameters for a property that runs `defaultRuns` times unless overridden. */
export function fuzzParameters<T>(defaultRuns: number): fc.Parameters<T> {
  const rawSeed = Deno.env.get("FUZZ_SEED");
  const seed = rawSeed === "random"
    ? (Math.random() * 2 ** 31) | 0
    : rawSeed
    ? Number(rawSeed)
    : DEFAULT_SEED;
  const runs = Number(Deno.env.get("FUZZ_RUNS"));
  return {
    seed,
    numRuns: Number.isInteger(runs) && runs > 0 ? runs : defaultRuns,
    path: Deno.env.get("FUZZ_PATH") || undefined,
    endOnFailure: Deno.env.get("FUZZ_PATH") ? true : undefined,
    // The counterexample is printed with its seed; shrinking stops after this long.
    interruptAfterTimeLimit: 60_000,
  };
}

/** One logged record. */
export interface LogRecord {
  level: string;
  message: string;
  fields?: Record<string, unknown>;
}

/** A {@link TestInstance} whose logger keeps its `error` records. */
export interface FuzzInstance extends TestInstance {
  /** `error` records: each is an internal failure (an unknown error reached a handler). */
  errors: LogRecord[];
}

/**
 * The real app on a fresh in-memory KV, as `createTestInstance()` builds it, except that the
 * logger records errors: an unexpected exception is logged once and answered generically, so
 * the log is where a property sees it even when the client only sees a polite message.
 */
export async function createFuzzInstance(env: Record<string, string> = {}): Promise<FuzzInstance> {
  const kv = await Deno.openKv(":memory:");
  const errors: LogRecord[] = [];
  const record = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    if (level === "error") errors.push({ level, message, fields });
  };
  const log: Logger = {
    debug: record("debug"),
    info: record("info"),
    warn: record("warn"),
    error: record("error"),
  };
  // Sessions live at least 30 s (the default), so none expires mid-run: an expiry is a write,
  // and the properties compare what is stored before and after each request.
  const config = testConfig({ FEEDBACK_MIN_TIMEOUT: "30", ...env });
  const services = createServices(config, kv, { log });
  const app = createApp(services);
  return {
    services,
    app,
    kv,
    errors,
    async [Symbol.asyncDispose]() {
      await closeRealtime(services);
      services.hub.close();
      kv.close();
    },
  };
}

/** Fails when the instance logged an internal error, showing what it was. */
export function assertNoLoggedErrors(instance: FuzzInstance, context: string): void {
  if (instance.errors.length === 0) return;
  const first = instance.errors[0];
  assert.fail(
    `${context}: the service logged ${instance.errors.length} error(s); first: ${first.message} ${
      JSON.stringify({ ...first.fields, stack: undefined })
    }\n${String(first.fields?.stack ?? "")}`,
  );
}

/** Resolves with `promise`, or fails after `ms`: "no hang" is a property too. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** How long any single request may take before the property calls it a hang. */
export const ANSWER_BOUND_MS = 5000;

// ---------------------------------------------------------------------------------------------
// Snapshots: "nothing stored from a refused request"
// ---------------------------------------------------------------------------------------------

/**
 * Every stored feedback entry (sessions, indexes, owner events) with its versionstamp: two equal
 * snapshots mean nothing was written in between. The rate limiter keeps its own prefix.
 */
export async function snapshot(kv: Deno.Kv): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for await (const entry of kv.list({ prefix: feedbackPrefix })) {
    out.set(JSON.stringify(entry.key), entry.versionstamp);
  }
  return out;
}

/** Fails unless two snapshots are equal, naming what changed. */
export function assertUnchanged(
  before: Map<string, string>,
  after: Map<string, string>,
  context: string,
): void {
  const changed = [...new Set([...before.keys(), ...after.keys()])]
    .filter((key) => before.get(key) !== after.get(key));
  assert.deepEqual(changed, [], `${context}: a refused request stored something`);
}

/** How many session records are stored. */
export async function countSessions(kv: Deno.Kv): Promise<number> {
  let n = 0;
  for await (const _ of kv.list({ prefix: sessionPrefix })) n++;
  return n;
}

// ---------------------------------------------------------------------------------------------
// The envelope
// ---------------------------------------------------------------------------------------------

/** Text that would mean internals reached a client: stack frames, file paths, raw JS errors. */
const LEAK =
  /(^|\n)\s*at\s|file:\/\/|\.(?:ts|tsx|js|mjs):\d+|node_modules|\b(?:TypeError|RangeError|SyntaxError|ReferenceError)\b|Deno\.|\bstack\b/;

/** Fails when `text` looks like internal error text. */
export function assertNoLeak(text: string, context: string): void {
  assert.doesNotMatch(text, LEAK, `${context}: internal text reached the client: ${text}`);
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Whether `code` is one of the stable error codes of `lib/errors.ts`. */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === "string" && typeof httpStatusOf(code as ErrorCode) === "number";
}

/**
 * Fails unless `body` is the REST envelope of contract §3 and agrees with `status`: on success
 * `data` and no error; on failure a known code whose HTTP status is `status`, a non-empty message
 * without internal text; always an ISO timestamp.
 */
export function assertEnvelope(body: unknown, status: number, context: string): void {
  const b = body as Record<string, unknown>;
  const show = `${context}: ${status} ${JSON.stringify(body)?.slice(0, 500)}`;
  assert.ok(typeof b === "object" && b !== null && !Array.isArray(b), `not an object: ${show}`);
  assert.equal(typeof b.success, "boolean", `success is not a boolean: ${show}`);
  assert.ok(typeof b.timestamp === "string" && ISO.test(b.timestamp), `bad timestamp: ${show}`);
  assert.ok(!Number.isNaN(Date.parse(b.timestamp as string)), `bad timestamp: ${show}`);
  if (b.success) {
    assert.ok(status >= 200 && status < 300, `success with status ${status}: ${show}`);
    assert.equal(b.error, null, `success with an error: ${show}`);
    assert.ok("data" in b && b.data !== undefined, `success without data: ${show}`);
    return;
  }
  assert.equal(b.data, null, `error with data: ${show}`);
  const error = b.error as Record<string, unknown>;
  assert.ok(typeof error === "object" && error !== null, `error is not an object: ${show}`);
  assert.ok(isErrorCode(error.code), `unknown error code: ${show}`);
  assert.equal(httpStatusOf(error.code), status, `code and status disagree: ${show}`);
  assert.ok(
    typeof error.message === "string" && error.message.trim() !== "",
    `no message: ${show}`,
  );
  assertNoLeak(error.message, show);
  assertNoLeak(JSON.stringify(error.details ?? null), show);
}

// ---------------------------------------------------------------------------------------------
// Arbitraries
// ---------------------------------------------------------------------------------------------

/** A lone UTF-16 surrogate: not valid Unicode text, yet a JS string can hold it. */
export const loneSurrogate: fc.Arbitrary<string> = fc.integer({ min: 0xd800, max: 0xdfff })
  .map((code) => String.fromCharCode(code));

/** Any text: ASCII, any code point, graphemes, control characters, lone surrogates. */
export function anyText(maxLength = 40): fc.Arbitrary<string> {
  return fc.oneof(
    fc.string({ maxLength }),
    fc.string({ unit: "binary", maxLength }),
    fc.string({ unit: "grapheme", maxLength }),
    fc.string({ unit: "binary-ascii", maxLength }),
    fc.string({
      unit: fc.oneof(loneSurrogate, fc.string({ unit: "binary", minLength: 1, maxLength: 1 })),
      maxLength,
    }),
    fc.constantFrom("", " ", "\u0000", "\u202e", "\ufeff", "null", "__proto__", "constructor"),
  );
}

/** A long string of one repeated (possibly multi-byte) character, `min`..`max` characters. */
export function longText(min: number, max: number): fc.Arbitrary<string> {
  return fc.tuple(fc.constantFrom("a", "é", "中", "😀", " ", "\ud800"), fc.integer({ min, max }))
    .map(([unit, n]) => unit.repeat(Math.ceil(n / unit.length)));
}

/** Text that can go into an HTTP header value (ByteString, no CR/LF). */
export const headerText: fc.Arbitrary<string> = fc.string({
  unit: fc.integer({ min: 0x20, max: 0xff }).filter((c) => c !== 0x7f).map((c) =>
    String.fromCharCode(c)
  ),
  maxLength: 60,
});

/**
 * `encodeURIComponent` that also takes lone surrogates (which it refuses), writing them as the
 * three bytes a careless encoder (WTF-8) would send: invalid UTF-8 for the server to cope with.
 */
export function encodeLoose(text: string): string {
  let out = "";
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    out += cp >= 0xd800 && cp <= 0xdfff
      ? [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f)]
        .map((b) => `%${b.toString(16).toUpperCase()}`).join("")
      : encodeURIComponent(ch);
  }
  return out;
}

/** A UUID v4 in lower case. */
export const uuidV4: fc.Arbitrary<string> = fc.uuid({ version: 4 });

/**
 * One path segment as an attacker writes it: real ids, UUIDs of every version and case, unicode,
 * percent-encodings (valid or not), dot segments, and very long ones.
 */
export function pathSegment(realIds: readonly string[] = []): fc.Arbitrary<string> {
  const arbs: fc.Arbitrary<string>[] = [
    uuidV4,
    uuidV4.map((id) => id.toUpperCase()),
    fc.uuid(),
    fc.webSegment(),
    anyText(20).map(encodeLoose),
    anyText(20).filter((s) => !/[?#/]/.test(s)),
    fc.constantFrom(
      ".",
      "..",
      "%2e%2e",
      "%2E",
      "%2F",
      "%00",
      "%",
      "%zz",
      "%c0%ae",
      "%ff%fe",
      "%ed%a0%80",
      ";x=1",
      "~",
      "feedback",
      "create",
      "list",
      "status",
      "result",
      "submit",
      "cancel",
      "openapi.json",
    ),
    fc.integer({ min: 100, max: 12_000 }).map((n) => "x".repeat(n)),
    uuidV4.map((id) => `${id}%00`),
    uuidV4.map((id) => ` ${id}`),
  ];
  if (realIds.length) arbs.push(fc.constantFrom(...realIds));
  return fc.oneof(...arbs);
}

/** A path under `/api`: a real route with a fuzzed id, or fuzzed segments altogether. */
export function apiPath(realIds: readonly string[] = []): fc.Arbitrary<string> {
  const segment = pathSegment(realIds);
  return fc.oneof(
    fc.tuple(
      segment,
      fc.constantFrom("status", "result", "submit", "cancel", "", "status/", "x"),
    ).map(([id, tail]) => `/api/feedback/${id}${tail ? `/${tail}` : ""}`),
    fc.constantFrom(
      "/api/feedback/create",
      "/api/feedback/list",
      "/api/openapi.json",
      "/api",
      "/api/",
      "/api/feedback",
      "/api//feedback/create",
      "/api/feedback/create/",
      "/api/./feedback/list",
      "/api/feedback/../feedback/list",
      "/api/%66eedback/list",
      "/API/feedback/list",
    ),
    fc.array(segment, { maxLength: 5 }).map((segments) => `/api/${segments.join("/")}`),
  );
}

/** A value for `?wait=` that never holds a request for more than a moment. */
const shortWait: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom("0", "", "-1", "abc", "1.5", "56", "99999999999", "NaN", "Infinity", "-0", "0.0"),
  fc.constantFrom("0x0", "1e-9", " ", "%00", "00", "0e5", "[]", "1,2", "true"),
  fc.string({ maxLength: 6 }).filter((s) => {
    // `z.coerce.number()` reads "7", " 7 ", "0x7", "7e0" as 7: a real wait, not a fuzz input.
    const n = Number(s);
    return !(Number.isInteger(n) && n >= 1);
  }),
);

/** A query string (with its `?`, or empty): the list and result parameters with odd values. */
export const queryString: fc.Arbitrary<string> = fc.record({
  status: fc.option(
    fc.oneof(
      fc.constantFrom("pending", "completed", "expired", "cancelled", "PENDING", "", "all"),
      anyText(10),
    ),
  ),
  limit: fc.option(
    fc.oneof(
      fc.integer({ min: -5, max: 200 }).map(String),
      fc.constantFrom("", "abc", "1.5", "1e2", "0x10", " 5", "Infinity", "-0", "9".repeat(400)),
    ),
  ),
  cursor: fc.option(
    fc.oneof(
      anyText(30),
      fc.base64String({ maxLength: 60 }),
      fc.constantFrom("AAAA", "////", "%", "null", "x".repeat(2000)),
    ),
  ),
  wait: fc.option(shortWait),
  extra: fc.option(fc.tuple(anyText(8), anyText(8))),
  raw: fc.boolean(),
}).map(({ raw, extra, ...params }) => {
  const pairs: [string, string][] = Object.entries(params)
    .filter((entry): entry is [string, string] => entry[1] !== null);
  if (extra) pairs.push(extra);
  if (pairs.length === 0) return "";
  // `raw` sends the characters unencoded, as a careless client would.
  const encode = raw ? (s: string) => s.replace(/[#&=]/g, "") : encodeLoose;
  return `?${pairs.map(([k, v]) => `${encode(k)}=${encode(v)}`).join("&")}`;
});

/** Content types, right, almost right and wrong. */
export const contentType: fc.Arbitrary<string | undefined> = fc.oneof(
  fc.constantFrom(
    "application/json",
    "application/json; charset=utf-8",
    "application/json;charset=UTF-16",
    "APPLICATION/JSON",
    " application/json ; charset=latin1",
    "application/vnd.api+json",
    "application/problem+json",
    "application/jsonx",
    "application/json-seq",
    "text/json",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=xyz",
    "application/octet-stream",
    "",
    ";",
    "*/*",
  ),
  headerText,
  fc.constant(undefined),
);

/** `Authorization` values: the right token, other schemes, garbage, JWT-shaped garbage. */
export function authorization(validToken: string): fc.Arbitrary<string | undefined> {
  const b64 = fc.base64String({ maxLength: 40 }).map((s) => s.replace(/=/g, ""));
  return fc.oneof(
    fc.constant(`Bearer ${validToken}`),
    fc.constant(`bearer ${validToken}`),
    fc.constant(`BEARER   ${validToken}`),
    fc.constant(`Bearer ${validToken}x`),
    fc.constant(`Bearer ${validToken.split(".").slice(0, 2).join(".")}.`),
    fc.tuple(b64, b64, b64).map((parts) => `Bearer ${parts.join(".")}`),
    fc.constantFrom(
      "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.",
      "Bearer",
      "Bearer ",
      "Basic dXNlcjpwYXNz",
      "Token abc",
      "",
    ),
    headerText.map((s) => `Bearer ${s}`),
    headerText,
    fc.constant(undefined),
  );
}

/** Headers a client might send besides content type and authorization. */
export const extraHeaders: fc.Arbitrary<Record<string, string>> = fc.dictionary(
  fc.constantFrom(
    "accept",
    "accept-language",
    "x-forwarded-for",
    "origin",
    "cookie",
    "x-http-method-override",
    "if-none-match",
    "content-encoding",
    "transfer-encoding-x",
  ),
  headerText,
  { maxKeys: 3 },
);

/** A JSON text nested `depth` levels deep (objects or arrays), optionally inside a field. */
const deepJson: fc.Arbitrary<string> = fc.record({
  depth: fc.integer({ min: 1, max: 13_000 }),
  kind: fc.constantFrom("object", "array"),
  field: fc.constantFrom(null, "metadata", "message", "predefinedOptions", "selectedOptions"),
}).map(({ depth, kind, field }) => {
  const open = kind === "object" ? '{"a":' : "[";
  const close = kind === "object" ? "}" : "]";
  const inner = `${open.repeat(depth)}1${close.repeat(depth)}`;
  return field ? `{"message":"deep","${field}":${inner}}` : inner;
});

/** A JSON text of about `bytes` bytes: a big array of strings in one field. */
function hugeJson(field: string): fc.Arbitrary<string> {
  return fc.record({
    bytes: fc.integer({ min: 60_000, max: 70_000 }),
    unit: fc.constantFrom("a", "é", "😀"),
  }).map(({ bytes, unit }) => {
    const item = JSON.stringify(unit.repeat(10));
    const size = new TextEncoder().encode(item).length + 1;
    const count = Math.max(1, Math.floor((bytes - 40) / size));
    return `{"message":"big","${field}":[${Array(count).fill(item).join(",")}]}`;
  });
}

/** A JSON-safe stringify (`undefined` and bigints would throw or vanish). */
export function stringifyAny(value: unknown): string {
  try {
    return JSON.stringify(value, (_, v) => typeof v === "bigint" ? v.toString() : v) ?? "";
  } catch {
    return String(value);
  }
}

/** Mostly `valid`, sometimes `wrong`: inputs that are wrong everywhere never reach the store. */
function mostly<T>(
  valid: fc.Arbitrary<T>,
  ...wrong: fc.Arbitrary<unknown>[]
): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 4, arbitrary: valid },
    ...wrong.map((arbitrary) => ({ weight: 1, arbitrary })),
  );
}

/** Text that is not blank once trimmed. */
const someText = (maxLength: number) => anyText(maxLength).filter((s) => s.trim() !== "");

/** Fields of a question, each mostly right, sometimes wrong in type or size; any may be missing. */
export const createFields: fc.Arbitrary<Record<string, unknown>> = fc.record({
  message: mostly(someText(60), longText(7990, 8010), anyText(5), fc.jsonValue({ maxDepth: 1 })),
  title: mostly(anyText(30), longText(118, 122), fc.jsonValue({ maxDepth: 1 })),
  predefinedOptions: mostly(
    fc.uniqueArray(someText(12), { maxLength: 10 }),
    fc.array(anyText(12), { maxLength: 12 }),
    fc.array(longText(98, 102), { maxLength: 10 }),
    fc.jsonValue({ maxDepth: 2 }),
  ),
  multiSelect: mostly(fc.boolean(), fc.jsonValue({ maxDepth: 1 })),
  allowFreeText: mostly(fc.boolean(), fc.jsonValue({ maxDepth: 1 })),
  timeout: mostly(
    fc.integer({ min: 30, max: 3600 }),
    fc.integer({ min: -10, max: 40 }),
    fc.integer({ min: 3590, max: 4000 }),
    fc.double(),
    fc.constantFrom(3601, 1e308, -0, 0.5),
    fc.jsonValue({ maxDepth: 1 }),
  ),
  metadata: mostly(
    fc.dictionary(anyText(8), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 }),
    fc.jsonValue({ maxDepth: 2 }),
    fc.integer({ min: 8100, max: 8300 }).map((n) => ({ blob: "😀".repeat(n / 4) })),
    longText(8000, 9000).map((s) => ({ blob: s })),
  ),
  extra: fc.anything({ maxDepth: 2 }),
}, { requiredKeys: ["message"] });

/** Fields of an answer to a session with `options`, mostly right, sometimes not. */
export function answerFields(options: readonly string[]): fc.Arbitrary<Record<string, unknown>> {
  const option = options.length
    ? fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...options) }, anyText(12))
    : anyText(12);
  return fc.record({
    selectedOptions: mostly(
      fc.uniqueArray(option, { maxLength: 3 }),
      fc.array(option, { maxLength: 4 }),
      fc.array(option, { minLength: 99, maxLength: 102 }),
      fc.jsonValue({ maxDepth: 2 }),
    ),
    freeText: mostly(anyText(40), longText(7990, 8010), fc.jsonValue({ maxDepth: 1 })),
    metadata: mostly(
      fc.dictionary(anyText(8), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 }),
      fc.jsonValue({ maxDepth: 2 }),
      longText(2000, 2100).map((s) => ({ blob: s })),
    ),
  }, { requiredKeys: [] });
}

/**
 * A request body: mostly JSON of `fields`, else JSON of every shape, JSON-looking garbage, raw
 * text and raw bytes, deep nesting, and bodies around the 64 KiB cap.
 */
export function requestBody(
  fields: fc.Arbitrary<Record<string, unknown>> = createFields,
): fc.Arbitrary<string | Uint8Array<ArrayBuffer> | undefined> {
  return fc.oneof(
    { weight: 12, arbitrary: fields.map((f) => JSON.stringify(f)) },
    fc.json(),
    fc.jsonValue().map((v) => JSON.stringify(v)),
    fc.anything({ withNullPrototype: true, withBigInt: true }).map(stringifyAny),
    anyText(80),
    fc.uint8Array({ maxLength: 200 }),
    deepJson,
    hugeJson("predefinedOptions"),
    hugeJson("selectedOptions"),
    longText(65_000, 66_000).map((s) => JSON.stringify({ message: s })),
    fc.constantFrom("", "{", "}", "null", "[]", '{"message":', '{"__proto__":{"x":1}}', "\ufeff{}"),
    fc.constant(undefined),
  );
}

/** A question that can be answered: distinct non-blank options, free text allowed or not. */
export const answerableQuestion = fc.record({
  predefinedOptions: fc.uniqueArray(
    anyText(20).map((s) => s.trim()).filter((s) => s !== "" && codePointLength(s) <= 100),
    // Distinct as stored: "\ud800" and "\ud801" are both U+FFFD there.
    { maxLength: 10, selector: (s) => s.toWellFormed() },
  ),
  multiSelect: fc.boolean(),
  allowFreeText: fc.boolean(),
}).map((q) => ({
  message: "Which?",
  ...q,
  allowFreeText: q.allowFreeText || !q.predefinedOptions.length,
}));

/** Fails unless a stored answer keeps the rules of the question it answers (contract §3). */
export function assertAnswerKeepsRules(
  question: { predefinedOptions: string[]; multiSelect: boolean; allowFreeText: boolean },
  answer: { selectedOptions: string[]; freeText: string },
  context: string,
): void {
  const { selectedOptions, freeText } = answer;
  const show = `${context}: ${JSON.stringify({ question, answer }).slice(0, 600)}`;
  // Options are stored as well-formed Unicode (a lone surrogate as U+FFFD).
  const options = question.predefinedOptions.map((o) => o.toWellFormed().trim());
  assert.ok(selectedOptions.every((o) => options.includes(o)), show);
  assert.equal(new Set(selectedOptions).size, selectedOptions.length, show);
  if (!question.multiSelect) assert.ok(selectedOptions.length <= 1, show);
  if (!question.allowFreeText) assert.equal(freeText.trim(), "", show);
  assert.ok(codePointLength(freeText.trim()) <= 8000, show);
  assert.ok(selectedOptions.length > 0 || freeText.trim() !== "", show);
}

/** Request methods, standard and not (the Fetch API refuses CONNECT, TRACE and TRACK). */
export const method: fc.Arbitrary<string> = fc.constantFrom(
  "GET",
  "POST",
  "PUT",
  "PATCH",
  "DELETE",
  "HEAD",
  "OPTIONS",
  "PROPFIND",
  "get",
  "post",
  "X-CUSTOM",
);
