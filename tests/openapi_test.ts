/**
 * The OpenAPI document against the app that serves it: every route the app serves is in it, it
 * is valid OpenAPI 3.1, and every answer the routes give (each route driven into each of its
 * documented states, on real KV) has a documented status, body and headers; and every documented
 * answer is one a route really gives.
 */
import assert from "node:assert/strict";
import SwaggerParser from "@apidevtools/swagger-parser";
import { Ajv, type ValidateFunction } from "ajv";
import type { z } from "zod";
import {
  cancelledViewSchema,
  createdViewSchema,
  listPageViewSchema,
  resultViewSchema,
  statusViewSchema,
  submittedViewSchema,
} from "../lib/feedback/views_schema.ts";
import { channelsViewSchema, channelTestViewSchema } from "../lib/notify/channels.ts";
import { FaultyKv } from "./_faulty_kv.ts";
import {
  authHeaders,
  createSessionViaApi,
  createTestInstance,
  randomOwner,
  type TestInstance,
  tokenFor,
} from "./_helpers.ts";
import { imageInput, pngOf, svgImage } from "./_images.ts";
import { eventually } from "./_wait.ts";

// deno-lint-ignore no-explicit-any
type Json = Record<string, any>;
/** A copy for the parser, which resolves `$ref`s in place. */
// deno-lint-ignore no-explicit-any
const forParser = (doc: Json): any => structuredClone(doc);

const HTTP_METHODS = ["get", "post", "put", "delete", "patch", "options", "head", "trace"];
/** Headers whose presence the document must account for. */
const WATCHED_HEADERS = [
  "allow",
  "retry-after",
  "www-authenticate",
  "x-ratelimit-limit",
  "x-ratelimit-remaining",
  "x-ratelimit-reset",
];
/** The views, checked with zod as well: formats (uuid, url, date-time) and closed objects. */
const VIEWS: Record<string, z.ZodType> = {
  createFeedback: createdViewSchema,
  listFeedback: listPageViewSchema,
  getFeedbackStatus: statusViewSchema,
  submitFeedback: submittedViewSchema,
  getFeedbackResult: resultViewSchema,
  cancelFeedback: cancelledViewSchema,
  getNotifyChannels: channelsViewSchema,
  putNotifyChannels: channelsViewSchema,
  testNotifyChannel: channelTestViewSchema,
};

async function servedDocument(instance: TestInstance): Promise<Json> {
  const res = await instance.app.request("/api/openapi.json");
  assert.equal(res.status, 200);
  return await res.json();
}

/** `/api/feedback/:id/status` → `/feedback/{id}/status` (under the `/api` server). */
function documentPath(appPath: string): string {
  return appPath.replace(/^\/api(?=\/)/, "").replace(/:(\w+)/g, "{$1}");
}

/** The URL path of a documented path, from the server that applies to it. */
function requestPath(doc: Json, path: string): string {
  const server = doc.paths[path].servers?.[0]?.url ?? doc.servers[0].url;
  return `${new URL(server).pathname.replace(/\/$/, "")}${path}`;
}

function operationsOf(item: Json): [string, Json][] {
  return Object.entries(item).filter(([key]) => HTTP_METHODS.includes(key));
}

/** Checks each answer against the document and remembers which documented answers were seen. */
class Answers {
  readonly seen = new Set<string>();
  #ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
  #validators = new Map<Json, ValidateFunction>();

  constructor(readonly doc: Json, readonly resolved: Json) {}

  /** Sends `init` to `path` (a documented path with its parameters filled in) and checks it. */
  async send(
    instance: TestInstance,
    route: string,
    url: string,
    init: RequestInit = {},
  ): Promise<{ status: number; body: Json | null; headers: Headers }> {
    const res = await instance.app.request(url, init);
    const bytes = new Uint8Array(await res.arrayBuffer());
    const contentType = res.headers.get("content-type") ?? "";
    // Images come back as bytes; everything else the API sends is JSON text (or nothing).
    const binary = contentType.startsWith("image/");
    const text = binary ? "" : new TextDecoder().decode(bytes);
    const body = text ? JSON.parse(text) : null;
    const method = (init.method ?? "GET").toLowerCase();
    const item = this.resolved.paths[route];
    assert.ok(item, `${route} is documented`);
    const label = `${method.toUpperCase()} ${url} → ${res.status} ${text.slice(0, 300)}`;
    const operations = item[method]
      ? [[method, item[method]] as [string, Json]]
      : operationsOf(item).filter(([m]) => m !== "options");
    // A method the route does not take: every documented operation of the path owns the 405.
    if (!item[method]) assert.equal(res.status, 405, label);
    for (const [opMethod, operation] of operations) {
      const documented = operation.responses[String(res.status)];
      assert.ok(documented, `undocumented status: ${label}`);
      this.#checkHeaders(res.headers, documented, label);
      if (res.status === 405) {
        const allow = operationsOf(item).map(([m]) => m.toUpperCase()).filter((m) =>
          m !== "OPTIONS"
        ).flatMap((m) => m === "GET" ? ["GET", "HEAD"] : [m]);
        assert.equal(res.headers.get("allow"), allow.join(", "), label);
      }
      const schema = documented.content?.["application/json"]?.schema;
      if (schema) {
        assert.match(res.headers.get("content-type") ?? "", /^application\/json/, label);
        const validate = this.#validator(schema);
        assert.ok(validate(body), `${label}\n${JSON.stringify(validate.errors, null, 2)}`);
      } else if (binary) {
        assert.ok(documented.content?.[contentType], `undocumented ${contentType}: ${label}`);
        assert.ok(bytes.length > 0, label);
      } else {
        assert.equal(bytes.length, 0, label);
      }
      const view = VIEWS[operation.operationId];
      if (res.status === 200 && view) {
        assert.deepEqual(view.parse(body.data), body.data, label);
      }
      this.seen.add(answerKey(opMethod, route, res.status, body?.error?.code));
    }
    return { status: res.status, body, headers: res.headers };
  }

  #checkHeaders(headers: Headers, documented: Json, label: string) {
    const names = Object.keys(documented.headers ?? {}).map((h) => h.toLowerCase());
    for (const name of WATCHED_HEADERS) {
      if (headers.has(name)) assert.ok(names.includes(name), `undocumented ${name}: ${label}`);
    }
    for (const [name, header] of Object.entries<Json>(documented.headers ?? {})) {
      if (header.required) assert.ok(headers.has(name), `missing ${name}: ${label}`);
    }
  }

  #validator(schema: Json) {
    let validate = this.#validators.get(schema);
    if (!validate) this.#validators.set(schema, validate = this.#ajv.compile(schema));
    return validate;
  }

  /** Every answer the document promises: each status, and each error code within it. */
  documented(): string[] {
    const out: string[] = [];
    for (const [route, item] of Object.entries<Json>(this.resolved.paths)) {
      for (const [method, operation] of operationsOf(item)) {
        for (const [status, response] of Object.entries<Json>(operation.responses)) {
          const schema = response.content?.["application/json"]?.schema;
          const codes: string[] | undefined = schema?.allOf?.[1]?.properties?.error?.properties
            ?.code?.enum;
          for (const code of codes ?? [undefined]) {
            out.push(answerKey(method, route, Number(status), code));
          }
        }
      }
    }
    return out;
  }
}

function answerKey(method: string, route: string, status: number, code?: string): string {
  return `${method.toUpperCase()} ${route} ${status}${code ? ` ${code}` : ""}`;
}

async function answersFor(instance: TestInstance): Promise<Answers> {
  const doc = await servedDocument(instance);
  return new Answers(doc, await SwaggerParser.dereference(forParser(doc)));
}

const json = (body: unknown, token?: string): RequestInit => ({
  method: "POST",
  headers: token ? authHeaders(token) : { "Content-Type": "application/json" },
  body: JSON.stringify(body),
});
const bearer = (token: string): RequestInit => ({ headers: authHeaders(token) });
const QUESTION = { message: "Ship it?", predefinedOptions: ["Yes", "No"] };

const CREATE = "/feedback/create";
const LIST = "/feedback/list";
const STATUS = "/feedback/{id}/status";
const SUBMIT = "/feedback/{id}/submit";
const RESULT = "/feedback/{id}/result";
const CANCEL = "/feedback/{id}/cancel";
const IMAGE = "/feedback/{id}/images/{imageId}";
const CHANNELS = "/notify/channels";
const CHANNEL_TEST = "/notify/channels/test";
const put = (body: unknown, token?: string): RequestInit => ({
  ...json(body, token),
  method: "PUT",
});
/** A channel the guard lets through when saved; delivering to it fails (the name does not resolve). */
const CHANNEL = { type: "webhook", url: "https://hooks.example.invalid/" };
const at = (id: string, route: string) => `/api${route.replace("{id}", id)}`;
const imageAt = (id: string, imageId: string) => at(id, IMAGE).replace("{imageId}", imageId);
/** Images the service refuses: its bytes are no image (415), its header claims a bomb (413). */
const SVG = [imageInput(svgImage(), "image/svg+xml")];
const BOMB = [imageInput(pngOf(10_000, 10_000), "image/png")];

Deno.test("GET /api/openapi.json is a valid OpenAPI 3.1 document with the configured facts", async () => {
  await using instance = await createTestInstance({
    env: {
      PUBLIC_BASE_URL: "https://feedback.example.com",
      FEEDBACK_MAX_MESSAGE_LENGTH: "1234",
      FEEDBACK_MAX_TIMEOUT: "900",
      RATE_LIMIT_CREATE: "7",
    },
  });
  const doc = await servedDocument(instance);
  await SwaggerParser.validate(forParser(doc));
  assert.equal(doc.openapi, "3.1.0");
  assert.deepEqual(doc.servers, [{ url: "https://feedback.example.com/api" }]);
  assert.deepEqual(doc.paths["/health"].servers, [{ url: "https://feedback.example.com" }]);
  assert.deepEqual(doc.security, [{ bearer: [] }]);
  assert.equal(doc.components.securitySchemes.bearer.scheme, "bearer");
  const create = doc.components.schemas.CreateRequest;
  assert.match(create.properties.message.description, /1234/);
  assert.equal(create.properties.timeout.anyOf[0].maximum, 900, "bounds come from the zod schema");
  assert.equal(create.properties.multiSelect.default, true, "defaults come from parsing");
  assert.match(doc.paths[CREATE].post.description, /7 requests a minute/);
  assert.equal(doc.paths[SUBMIT].post.security.length, 0, "submit needs no token");
});

Deno.test("every route the app serves under /api and /health is documented, with its 405", async () => {
  await using instance = await createTestInstance();
  const doc = await servedDocument(instance);
  const served = new Map<string, { methods: Set<string>; fallback: boolean }>();
  for (const { method, path } of instance.app.routes) {
    if (path.includes("*") || !(path.startsWith("/api/") || path === "/health")) continue;
    const entry = served.get(documentPath(path)) ?? { methods: new Set(), fallback: false };
    if (method === "ALL") entry.fallback = true;
    else entry.methods.add(method.toLowerCase());
    served.set(documentPath(path), entry);
  }
  assert.ok(served.size >= 8, "the app's routes were found");
  for (const [path, { methods, fallback }] of served) {
    const item = doc.paths[path];
    assert.ok(item, `${path} is documented`);
    for (const method of methods) assert.ok(item[method], `${method} ${path} is documented`);
    const documented = operationsOf(item).map(([m]) => m).filter((m) => m !== "options");
    assert.deepEqual(documented.sort(), [...methods].sort(), `${path}: only served methods`);
    if (fallback) {
      assert.ok(item.options, `OPTIONS ${path} is documented`);
      for (const m of documented) assert.ok(item[m].responses["405"], `${m} ${path} has 405`);
    }
  }
  assert.deepEqual([...served.keys()].sort(), Object.keys(doc.paths).sort());
});

Deno.test("every answer the routes give is documented, and every documented answer is given", async (t) => {
  let now = Date.now();
  await using main = await createTestInstance({ now: () => now });
  const answers = await answersFor(main);
  const { doc } = answers;
  const owner = randomOwner();
  const token = await tokenFor(owner);
  const create = () => createSessionViaApi(main, token).then((s) => s.sessionId);
  const unknown = crypto.randomUUID();

  await t.step("any method, and OPTIONS, on every path", async () => {
    for (const path of Object.keys(doc.paths)) {
      const url = requestPath(doc, path).replace("{id}", unknown).replace("{imageId}", "q1");
      if (doc.paths[path].options) await answers.send(main, path, url, { method: "OPTIONS" });
      const others = operationsOf(doc.paths[path]).some(([, op]) => op.responses["405"]);
      if (others) await answers.send(main, path, url, { method: "DELETE" });
    }
    await answers.send(main, "/health", "/health");
    await answers.send(main, "/openapi.json", "/api/openapi.json");
  });

  await t.step("create", async () => {
    await answers.send(main, CREATE, `/api${CREATE}`, json({ message: "Ship?" }, token));
    await answers.send(main, CREATE, `/api${CREATE}`, json({ message: " " }, token));
    await answers.send(main, CREATE, `/api${CREATE}`, json({ message: "Ship?" }));
    await answers.send(main, CREATE, `/api${CREATE}`, json({ message: "x".repeat(70_000) }, token));
    await answers.send(main, CREATE, `/api${CREATE}`, json({ message: "?", images: SVG }, token));
    await answers.send(main, CREATE, `/api${CREATE}`, json({ message: "?", images: BOMB }, token));
    await answers.send(main, CREATE, `/api${CREATE}`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "text/plain" },
      body: "Ship?",
    });
  });

  await t.step("list and status", async () => {
    const id = await create();
    await answers.send(main, LIST, `/api${LIST}`, bearer(token));
    await answers.send(main, LIST, `/api${LIST}?limit=0`, bearer(token));
    await answers.send(main, LIST, `/api${LIST}`);
    await answers.send(main, STATUS, at(id, STATUS), bearer(token));
    await answers.send(main, STATUS, at("not-a-uuid", STATUS), bearer(token));
    await answers.send(main, STATUS, at(id, STATUS));
    await answers.send(main, STATUS, at(unknown, STATUS), bearer(token));
  });

  await t.step("submit, result and cancel", async () => {
    const id = await create();
    const answer = json({ selectedOptions: ["Yes"] });
    await answers.send(main, RESULT, at(id, RESULT), bearer(token)); // 404 NO_FEEDBACK_AVAILABLE
    await answers.send(main, SUBMIT, at("not-a-uuid", SUBMIT), answer);
    await answers.send(main, SUBMIT, at(id, SUBMIT), json({}));
    await answers.send(main, SUBMIT, at(unknown, SUBMIT), answer);
    await answers.send(main, SUBMIT, at(id, SUBMIT), { ...answer, headers: {} });
    await answers.send(main, SUBMIT, at(id, SUBMIT), json({ freeText: "x".repeat(70_000) }));
    await answers.send(main, SUBMIT, at(id, SUBMIT), json({ images: SVG }));
    await answers.send(main, SUBMIT, at(id, SUBMIT), json({ images: BOMB }));
    await answers.send(main, SUBMIT, at(id, SUBMIT), answer);
    await answers.send(main, SUBMIT, at(id, SUBMIT), answer); // 409
    await answers.send(main, RESULT, at(id, RESULT), bearer(token));
    await answers.send(main, RESULT, at(id, `${RESULT}?wait=99`), bearer(token));
    await answers.send(main, RESULT, at(id, RESULT));
    await answers.send(main, RESULT, at(unknown, RESULT), bearer(token));
    await answers.send(main, CANCEL, at(id, CANCEL), json({}, token)); // 409

    const withdrawn = await create();
    await answers.send(main, CANCEL, at(withdrawn, CANCEL), json({}, token));
    await answers.send(main, CANCEL, at(withdrawn, CANCEL), json({}, token)); // 410
    await answers.send(main, SUBMIT, at(withdrawn, SUBMIT), answer); // 410
    await answers.send(main, CANCEL, at("not-a-uuid", CANCEL), json({}, token));
    await answers.send(main, CANCEL, at(withdrawn, CANCEL), json({}));
    await answers.send(main, CANCEL, at(unknown, CANCEL), json({}, token));

    const late = await create();
    now += 3_600_000;
    await answers.send(main, SUBMIT, at(late, SUBMIT), answer); // 410 SESSION_EXPIRED
    await answers.send(main, CANCEL, at(late, CANCEL), json({}, token));
    await answers.send(main, STATUS, at(late, STATUS), bearer(token));
  });

  await t.step("images", async () => {
    const { sessionId: id } = await answers.send(
      main,
      CREATE,
      `/api${CREATE}`,
      json({ ...QUESTION, images: [imageInput(pngOf(8, 8), "image/png", "A dot")] }, token),
    ).then((r) => r.body?.data);
    const first = await answers.send(main, IMAGE, imageAt(id, "q1"), bearer(token));
    await answers.send(main, IMAGE, imageAt(id, "q1"), {
      headers: { ...authHeaders(token), "If-None-Match": first.headers.get("etag")! },
    });
    await answers.send(main, IMAGE, imageAt(id, "a1"), bearer(token)); // 404 NOT_FOUND
    await answers.send(main, IMAGE, imageAt("not-a-uuid", "q1"), bearer(token));
    await answers.send(main, IMAGE, imageAt(id, "q1"));
    await answers.send(main, IMAGE, imageAt(unknown, "q1"), bearer(token));
    await answers.send(
      main,
      SUBMIT,
      at(id, SUBMIT),
      json({
        images: [imageInput(pngOf(9, 9), "image/png")],
      }),
    );
    await answers.send(main, RESULT, at(id, RESULT), bearer(token));
    await answers.send(main, STATUS, at(id, STATUS), bearer(token));
    await answers.send(main, IMAGE, imageAt(id, "a1"), bearer(token));
  });

  await t.step("notification channels", async () => {
    await answers.send(main, CHANNELS, `/api${CHANNELS}`, bearer(token));
    await answers.send(main, CHANNELS, `/api${CHANNELS}`);
    const saved = await answers.send(
      main,
      CHANNELS,
      `/api${CHANNELS}`,
      put({ channels: [CHANNEL] }, token),
    );
    await answers.send(
      main,
      CHANNELS,
      `/api${CHANNELS}`,
      put({ channels: [{ type: "fax" }] }, token),
    );
    await answers.send(main, CHANNELS, `/api${CHANNELS}`, put({ channels: [] }));
    await answers.send(main, CHANNELS, `/api${CHANNELS}`, put({ x: "x".repeat(70_000) }, token));
    await answers.send(main, CHANNELS, `/api${CHANNELS}`, {
      method: "PUT",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "text/plain" },
      body: "{}",
    });
    const channelId = saved.body?.data.channels[0].id;
    await answers.send(main, CHANNEL_TEST, `/api${CHANNEL_TEST}`, json({ channelId }, token));
    await answers.send(
      main,
      CHANNEL_TEST,
      `/api${CHANNEL_TEST}`,
      json({ channelId: unknown }, token),
    );
    await answers.send(main, CHANNEL_TEST, `/api${CHANNEL_TEST}`, json({ channelId }));
    await answers.send(
      main,
      CHANNEL_TEST,
      `/api${CHANNEL_TEST}`,
      json({ x: "x".repeat(70_000) }, token),
    );
    await answers.send(main, CHANNEL_TEST, `/api${CHANNEL_TEST}`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "text/plain" },
      body: "{}",
    });
  });

  await t.step("429 RATE_LIMITED in every bucket, with the budget's headers", async () => {
    await using limited = await createTestInstance({
      env: { RATE_LIMIT_CREATE: "1", RATE_LIMIT_READ: "1", RATE_LIMIT_SUBMIT: "1" },
    });
    const twice = async (route: string, url: string, init: RequestInit) => {
      const first = await answers.send(limited, route, url, init);
      assert.equal(first.headers.get("x-ratelimit-remaining"), "0", url);
      const second = await answers.send(limited, route, url, init);
      assert.equal(second.body?.error.code, "RATE_LIMITED", url);
      assert.ok(Number(second.headers.get("retry-after")) >= 1, url);
      return first;
    };
    // One owner per read route: the read bucket is the owner's, shared by its routes.
    const owners = await Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map(() => tokenFor(randomOwner())));
    const created = await twice(CREATE, `/api${CREATE}`, json(QUESTION, owners[0]));
    const id = created.body?.data.sessionId;
    await twice(STATUS, at(id, STATUS), bearer(owners[0]));
    await twice(LIST, `/api${LIST}`, bearer(owners[1]));
    const theirs = await createSessionViaApi(limited, owners[2]).then((s) => s.sessionId);
    await twice(RESULT, at(theirs, RESULT), bearer(owners[2]));
    const mine = await createSessionViaApi(limited, owners[3]).then((s) => s.sessionId);
    await twice(CANCEL, at(mine, CANCEL), json({}, owners[3]));
    await twice(IMAGE, imageAt(id, "q1"), bearer(owners[7]));
    await twice(SUBMIT, at(id, SUBMIT), json({ selectedOptions: ["Yes"] }));
    await twice(CHANNELS, `/api${CHANNELS}`, bearer(owners[4]));
    await twice(CHANNELS, `/api${CHANNELS}`, put({ channels: [] }, owners[5]));
    await twice(CHANNEL_TEST, `/api${CHANNEL_TEST}`, json({ channelId: unknown }, owners[6]));
  });

  await t.step("429 QUOTA_EXCEEDED: pending sessions and waits", async () => {
    await using capped = await createTestInstance({
      env: { OWNER_MAX_PENDING: "1", OWNER_MAX_WAITS: "1" },
    });
    const owner = randomOwner();
    const token = await tokenFor(owner);
    const { sessionId } = await createSessionViaApi(capped, token);
    await answers.send(capped, CREATE, `/api${CREATE}`, json({ message: "More?" }, token));
    const first = capped.app.request(at(sessionId, `${RESULT}?wait=50`), bearer(token));
    await eventually(() => capped.services.feedback.waitsInProgress(owner) === 1, "the wait holds");
    await answers.send(capped, RESULT, at(sessionId, `${RESULT}?wait=1`), bearer(token));
    await answers.send(capped, SUBMIT, at(sessionId, SUBMIT), json({ selectedOptions: ["No"] }));
    assert.equal((await first).status, 200);

    await using full = await createTestInstance({ env: { OWNER_MAX_IMAGE_BYTES: "1000" } });
    const big = [imageInput(pngOf(8, 8, { bytes: 1001 }), "image/png")];
    const asked = await createSessionViaApi(full, token);
    await answers.send(
      full,
      CREATE,
      `/api${CREATE}`,
      json({ message: "See?", images: big }, token),
    );
    await answers.send(full, SUBMIT, at(asked.sessionId, SUBMIT), json({ images: big }));
  });

  await t.step("503 SERVICE_UNAVAILABLE when the store is closed", async () => {
    const kv = await Deno.openKv(":memory:");
    await using broken = await createTestInstance({ kv });
    const id = await createSessionViaApi(broken, token).then((s) => s.sessionId);
    kv.close();
    await everyRoute(answers, broken, token, id);
    await answers.send(broken, "/health", "/health");
  });

  await t.step("500 INTERNAL_ERROR when the store throws what no one foresaw", async () => {
    const real = await Deno.openKv(":memory:");
    const faulty = new FaultyKv(real);
    try {
      await using broken = await createTestInstance({ kv: faulty.kv });
      const id = await createSessionViaApi(broken, token).then((s) => s.sessionId);
      faulty.fail(
        ["get", "getMany", "list", "commit", "set", "delete"],
        () => new DOMException("a bug", "DataCloneError"),
      );
      await everyRoute(answers, broken, token, id);
    } finally {
      real.close();
    }
  });

  await t.step("every documented answer was given", () => {
    const missing = answers.documented().filter((key) => !answers.seen.has(key));
    assert.deepEqual(missing, []);
  });
});

/** One valid request to each API route that reaches the store. */
async function everyRoute(answers: Answers, instance: TestInstance, token: string, id: string) {
  await answers.send(instance, CREATE, `/api${CREATE}`, json({ message: "Still there?" }, token));
  await answers.send(instance, LIST, `/api${LIST}`, bearer(token));
  await answers.send(instance, STATUS, at(id, STATUS), bearer(token));
  await answers.send(instance, RESULT, at(id, RESULT), bearer(token));
  await answers.send(instance, SUBMIT, at(id, SUBMIT), json({ selectedOptions: ["Yes"] }));
  await answers.send(instance, CANCEL, at(id, CANCEL), json({}, token));
  await answers.send(instance, IMAGE, imageAt(id, "q1"), bearer(token));
  await answers.send(instance, CHANNELS, `/api${CHANNELS}`, bearer(token));
  await answers.send(instance, CHANNELS, `/api${CHANNELS}`, put({ channels: [CHANNEL] }, token));
  await answers.send(
    instance,
    CHANNEL_TEST,
    `/api${CHANNEL_TEST}`,
    json({ channelId: crypto.randomUUID() }, token),
  );
}
