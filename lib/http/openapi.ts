/**
 * The OpenAPI 3.1 document of the REST API, served at `GET /api/openapi.json`, generated from zod
 * schemas: the ones the service parses requests with (the bodies' `createInputSchema` and
 * `submitInputSchema`, the queries in `lib/http/api_schemas.ts`) and the ones that describe its
 * answers (the envelope in `lib/http/api_schemas.ts`, the views in `lib/feedback/views_schema.ts`).
 * What only the document knows is small and lives here: a table of operations (method, path, auth,
 * rate bucket, and the error codes each can answer; the statuses follow from the codes), one
 * sentence per error code, and the limits from the configuration, written into descriptions.
 * `tests/openapi_test.ts` checks that every route the app serves is in the table, drives every
 * route into every status and code documented here, and validates each answer's body and headers
 * against the document.
 *
 * Why zod 4's `z.toJSONSchema` and a table rather than `@hono/zod-openapi`: that library makes
 * the document a by-product of registering routes through its `OpenAPIHono` and `createRoute`,
 * with its own request validation hook. Our handlers must validate in a set order (count the
 * request against its rate budget, then check the content type and size, then parse) and report
 * through one error vocabulary (`ValidationError` with `details.field`); the body schemas are
 * built per configuration; and 405 and the error statuses come from a route helper and the error
 * handler, which `createRoute` would not see either. Adopting it would mean rewriting the
 * transport for a document; `z.toJSONSchema` needs no new dependency and leaves the transport as
 * Hono's authors write it.
 *
 * `z.toJSONSchema` keeps what zod can state as JSON Schema (types, enums, integer bounds, array
 * sizes, required fields); rules written as refinements (lengths in code points after trimming,
 * distinct options, metadata size) become descriptions, with the configured numbers in them.
 * @module
 */
import { z } from "zod";
import type { Config } from "../config.ts";
import { type ErrorCode, httpStatusOf } from "../errors.ts";
import { createInputSchema, IMAGE_TYPES, submitInputSchema } from "../feedback/model.ts";
import {
  cancelledViewSchema,
  createdViewSchema,
  listItemViewSchema,
  listPageViewSchema,
  resultViewSchema,
  statusViewSchema,
  submittedViewSchema,
} from "../feedback/views_schema.ts";
import {
  channelsInputSchema,
  channelsViewSchema,
  channelTestInputSchema,
  channelTestViewSchema,
} from "../notify/channels.ts";
import type { RateBucket } from "../rate_limit.ts";
import { MAX_IMAGE_PIXELS, MAX_IMAGE_SIDE } from "../images/check.ts";
import { STORAGE_RETRY_AFTER_SECONDS } from "../storage_guard.ts";
import { SERVICE_NAME, SERVICE_VERSION } from "../version.ts";
import {
  errorDetailsSchema,
  errorEnvelopeSchema,
  healthEnvelopeSchema,
  healthSchema,
  listQuerySchema,
  okEnvelopeSchema,
  waitQuerySchema,
} from "./api_schemas.ts";

/** A JSON Schema or OpenAPI object as plain JSON. */
type Json = Record<string, unknown>;

/** One operation of the API as the document describes it; its schemas are component names. */
interface Operation {
  method: "get" | "post" | "put";
  /** Under the server URL (`…/api`); `{id}` is the session id. */
  path: string;
  operationId: string;
  summary: string;
  /** What the operation's description says besides its rate budget. */
  notes?: string;
  /** `owner`: a bearer token, counted per owner; `none`: no token, counted per client address. */
  auth: "owner" | "none";
  bucket: RateBucket;
  query?: z.ZodObject;
  /** The JSON request body. */
  body?: "CreateRequest" | "SubmitRequest" | "ChannelsRequest" | "ChannelTestRequest";
  /** Request header parameters. */
  headers?: Json[];
  /** Headers of the 200 answer besides the rate budget's. */
  okHeaders?: Json;
  /** The `data` of the 200 answer; `Image`: the 200 is an image's bytes, not JSON. */
  data: keyof typeof VIEWS | "Image";
  /** Every error code the operation can answer besides `METHOD_NOT_ALLOWED`, which all have. */
  errors: ErrorCode[];
}

/** The views, by component name. */
const VIEWS = {
  Created: createdViewSchema,
  Status: statusViewSchema,
  ListPage: listPageViewSchema,
  Submitted: submittedViewSchema,
  Result: resultViewSchema,
  Cancelled: cancelledViewSchema,
  Channels: channelsViewSchema,
  ChannelTest: channelTestViewSchema,
};

/** The store is behind every one of these routes: it can be briefly unavailable, or a bug can hit. */
const STORE: ErrorCode[] = ["SERVICE_UNAVAILABLE", "INTERNAL_ERROR"];
/** An owner's route: a token first, then the owner's rate budget. */
const OWNER: ErrorCode[] = ["UNAUTHORIZED", "RATE_LIMITED"];

const OPERATIONS: Operation[] = [
  {
    method: "post",
    path: "/feedback/create",
    operationId: "createFeedback",
    summary: "Ask a human a question",
    auth: "owner",
    bucket: "create",
    body: "CreateRequest",
    headers: [{
      name: "Idempotency-Key",
      in: "header",
      description:
        "1-200 characters. A create with a key you used before answers with that first session (and `Idempotency-Replayed: true`) for as long as the session exists, whatever its status, instead of asking again; the same key with a different body is a 400 on `Idempotency-Key`. Concurrent creates with one key make one session.",
      schema: { type: "string", minLength: 1, maxLength: 200 },
    }],
    okHeaders: {
      "Idempotency-Replayed": {
        description:
          "`true` when this answer is the session an earlier create with the same `Idempotency-Key` made; absent otherwise.",
        schema: { type: "string", enum: ["true"] },
      },
    },
    data: "Created",
    errors: [
      ...OWNER,
      "INVALID_REQUEST",
      "PAYLOAD_TOO_LARGE",
      "UNSUPPORTED_MEDIA_TYPE",
      "QUOTA_EXCEEDED",
      ...STORE,
    ],
  },
  {
    method: "get",
    path: "/feedback/list",
    operationId: "listFeedback",
    summary: "List your sessions, newest first",
    auth: "owner",
    bucket: "read",
    query: listQuerySchema,
    data: "ListPage",
    errors: [...OWNER, "INVALID_REQUEST", ...STORE],
  },
  {
    method: "get",
    path: "/feedback/{id}/status",
    operationId: "getFeedbackStatus",
    summary: "A session's status and times",
    auth: "owner",
    bucket: "read",
    data: "Status",
    errors: [...OWNER, "INVALID_REQUEST", "SESSION_NOT_FOUND", ...STORE],
  },
  {
    method: "post",
    path: "/feedback/{id}/submit",
    operationId: "submitFeedback",
    summary: "Answer a session (no token: knowing the id is the capability)",
    auth: "none",
    bucket: "submit",
    body: "SubmitRequest",
    data: "Submitted",
    errors: [
      "INVALID_REQUEST",
      "RATE_LIMITED",
      "SESSION_NOT_FOUND",
      "ALREADY_SUBMITTED",
      "SESSION_EXPIRED",
      "SESSION_CANCELLED",
      "PAYLOAD_TOO_LARGE",
      "UNSUPPORTED_MEDIA_TYPE",
      "QUOTA_EXCEEDED",
      ...STORE,
    ],
  },
  {
    method: "get",
    path: "/feedback/{id}/result",
    operationId: "getFeedbackResult",
    summary: "The answer, optionally waiting for it",
    auth: "owner",
    bucket: "read",
    query: waitQuerySchema,
    data: "Result",
    errors: [
      ...OWNER,
      "INVALID_REQUEST",
      "SESSION_NOT_FOUND",
      "NO_FEEDBACK_AVAILABLE",
      "QUOTA_EXCEEDED",
      ...STORE,
    ],
  },
  {
    method: "post",
    path: "/feedback/{id}/cancel",
    operationId: "cancelFeedback",
    summary: "Withdraw a pending session",
    auth: "owner",
    bucket: "read",
    data: "Cancelled",
    errors: [
      ...OWNER,
      "INVALID_REQUEST",
      "SESSION_NOT_FOUND",
      "ALREADY_SUBMITTED",
      "SESSION_EXPIRED",
      "SESSION_CANCELLED",
      ...STORE,
    ],
  },
  {
    method: "get",
    path: "/feedback/{id}/images/{imageId}",
    operationId: "getFeedbackImage",
    summary: "An image of your session: the question's (`q…`) or the answer's (`a…`)",
    notes:
      "Owner only: another owner's session is a 404, as it is everywhere. The same images are served without a token at `/feedback/{id}/images/{imageId}` (outside `/api`, beside the answer page) to whoever holds the session id, counted per client address in the `page` bucket; errors there are the HTML pages (404, 429) rather than this envelope. That door is not a path of this document: relative to the two servers its template would equal this one.",
    auth: "owner",
    bucket: "read",
    data: "Image",
    errors: [...OWNER, "INVALID_REQUEST", "SESSION_NOT_FOUND", "NOT_FOUND", ...STORE],
  },
  {
    method: "get",
    path: "/notify/channels",
    operationId: "getNotifyChannels",
    summary: "Your notification channels, with each one's last delivery outcomes",
    auth: "owner",
    bucket: "read",
    data: "Channels",
    errors: [...OWNER, ...STORE],
  },
  {
    method: "put",
    path: "/notify/channels",
    operationId: "putNotifyChannels",
    summary:
      "Replace your notification channels (a new webhook's signing secret is in this answer only)",
    auth: "owner",
    bucket: "read",
    body: "ChannelsRequest",
    data: "Channels",
    errors: [...OWNER, "INVALID_REQUEST", "PAYLOAD_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE", ...STORE],
  },
  {
    method: "post",
    path: "/notify/channels/test",
    operationId: "testNotifyChannel",
    summary: "Send one of your channels a test message now",
    auth: "owner",
    bucket: "create",
    body: "ChannelTestRequest",
    data: "ChannelTest",
    errors: [...OWNER, "INVALID_REQUEST", "PAYLOAD_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE", ...STORE],
  },
];

/** What each error code means, for the responses' descriptions. */
function errorNotes(config: Config): Record<ErrorCode, string> {
  const q = config.ownerQuotas;
  const cap = (limit: number, what: string) => limit > 0 ? `at most ${limit} ${what}` : "off";
  return {
    INVALID_REQUEST:
      "a rule is broken (malformed JSON included); `details.field` names the first offending field, `details.issues` lists every broken rule.",
    UNAUTHORIZED: "the bearer token is missing or not valid.",
    SESSION_NOT_FOUND:
      "no such session for this caller: unknown, another owner's (indistinguishable) or past retention.",
    NOT_FOUND:
      "no such route; on an image route, no such image in the session (an answer image before the answer came included).",
    NO_FEEDBACK_AVAILABLE:
      "there is no answer (yet); `details.status` says why (`pending`, `expired`, `cancelled`).",
    METHOD_NOT_ALLOWED: "the route does not take this method; `Allow` lists the ones it does.",
    ALREADY_SUBMITTED: "the session was already answered.",
    SESSION_EXPIRED: "the session expired unanswered.",
    SESSION_CANCELLED: "the session was withdrawn by its owner.",
    PAYLOAD_TOO_LARGE:
      `the body is larger than ${config.maxBodyBytes} bytes (${config.maxImageBodyBytes} on create and submit, which may carry images; refused before parsing), or the question and its answer together are too large to store, or an image is over ${config.feedback.maxImageBytes} bytes (\`FEEDBACK_MAX_IMAGE_BYTES\`) or over ${MAX_IMAGE_SIDE} pixels a side or ${MAX_IMAGE_PIXELS} pixels in all (read from its header: nothing is decoded); \`details.field\` names the image.`,
    UNSUPPORTED_MEDIA_TYPE:
      "the body was not sent as `application/json`; or an image's bytes are not PNG, JPEG, WebP or GIF (SVG and anything else are refused; the type is read from the bytes), or its declared `mimeType` disagrees with them; `details.field` names it (`images[2].data`, `images[2].mimeType`).",
    RATE_LIMITED: "the minute's budget is spent; retry after `Retry-After` seconds.",
    QUOTA_EXCEEDED: `a per-owner cap; \`details.resource\` says which: \`pending_sessions\` (${
      cap(q.maxPending, "pending questions")
    }, \`OWNER_MAX_PENDING\`), \`waits\` (${
      cap(q.maxWaits, "waits at once")
    }, \`OWNER_MAX_WAITS\`) or \`image_bytes\` (${
      cap(q.maxImageBytes, "bytes of images stored")
    } for the session owner's questions and answers, \`OWNER_MAX_IMAGE_BYTES\`).`,
    INTERNAL_ERROR: "a bug: a generic message, the details go to the log only.",
    SERVICE_UNAVAILABLE:
      `the store is briefly unavailable; nothing was acknowledged, so retry the same request after \`Retry-After\` (${STORAGE_RETRY_AFTER_SECONDS}) seconds.`,
  };
}

/** The rules of the request bodies that are refinements in zod, and so only prose in JSON Schema. */
function fieldNotes(config: Config): Record<"CreateRequest" | "SubmitRequest", Json> {
  const f = config.feedback;
  return {
    CreateRequest: {
      message: `Markdown; not blank, at most ${f.maxMessageLength} characters.`,
      title: `At most ${f.maxTitleLength} characters.`,
      predefinedOptions:
        `Distinct, non-blank options of at most ${f.maxOptionLength} characters each.`,
      multiSelect: "Checkboxes (`true`) or radio buttons (`false`).",
      allowFreeText: "Whether the human may write an answer; `false` needs `predefinedOptions`.",
      timeout: "Seconds until the session expires unanswered.",
      metadata:
        `A JSON object of at most ${f.maxMetadataBytes} bytes serialized, returned with the result.`,
      images: imagesNote(
        config,
        "Screenshots to show with the question (`q1`..), each with an optional `alt` of at most 300 characters; the page shows them, and the `Created` and `Status` views list them at their capability URLs.",
      ),
    },
    SubmitRequest: {
      selectedOptions:
        "Members of the session's `predefinedOptions`, no duplicates; at most one when `multiSelect` is false.",
      freeText:
        `At most ${f.maxFreeTextLength} characters; refused when the session has \`allowFreeText: false\`.`,
      metadata:
        `A JSON object of at most ${f.maxSubmitMetadataBytes} bytes serialized, kept apart from the creator's.`,
      images: imagesNote(
        config,
        "Images with the answer (`a1`..; an image alone is an answer); `alt` is ignored. The `Result` view lists them at their owner-only URLs; WebSocket `feedback_submitted` carries their count.",
      ),
    },
  };
}

/** What the `images` field of a request body takes. */
function imagesNote(config: Config, what: string): string {
  const f = config.feedback;
  if (f.maxImages === 0) return "Images are turned off on this server (`FEEDBACK_MAX_IMAGES=0`).";
  return `${what} At most ${f.maxImages} items \`{data, mimeType}\`: \`data\` standard base64 (RFC 4648, padding optional, no whitespace, no \`data:\` prefix) of at most ${f.maxImageBytes} bytes decoded; \`mimeType\` one of \`${
    IMAGE_TYPES.join("`, `")
  }\`, and it must agree with the bytes, which decide the type. A truncated or broken file is a 400, another type a 415, a size or pixel count over the limits a 413; nothing is stored on any of them.`;
}

const REQUEST_NOTES = {
  CreateRequest:
    "Lengths count Unicode code points after trimming. Unknown fields are ignored; `null` counts as absent. Every broken rule is reported.",
  SubmitRequest:
    "At least one non-blank answer: an option or free text. One atomic compare-and-set: of concurrent submits exactly one gets 200, every other 409.",
};

/** Each body's smallest valid input: parsing it shows the defaults the schema fills in. */
const MINIMAL_BODIES = { CreateRequest: { message: "?" }, SubmitRequest: {} };

/** The bucket's configuration variable, for descriptions. */
const bucketVariable = (bucket: RateBucket) => `RATE_LIMIT_${bucket.toUpperCase()}`;

const documents = new WeakMap<Config, Json>();

/**
 * The document for the configured limits and public origin. Built once per configuration: the
 * route is public and unlimited, and generating takes milliseconds of CPU.
 */
export function openApiDocument(config: Config): Json {
  let document = documents.get(config);
  if (!document) documents.set(config, document = buildDocument(config));
  return document;
}

function buildDocument(config: Config): Json {
  const bodies = {
    CreateRequest: createInputSchema(config.feedback),
    SubmitRequest: submitInputSchema(config.feedback),
    ChannelsRequest: channelsInputSchema,
    ChannelTestRequest: channelTestInputSchema,
  };
  const responses: Record<string, z.ZodType> = {
    ...VIEWS,
    ListItem: listItemViewSchema,
    ...Object.fromEntries(
      Object.entries(VIEWS).map(([name, view]) => [`${name}Response`, okEnvelopeSchema(view)]),
    ),
    ErrorDetails: errorDetailsSchema,
    ErrorResponse: errorEnvelopeSchema,
    Health: healthSchema,
    HealthResponse: healthEnvelopeSchema,
  };
  const schemas = {
    ...componentSchemas(bodies, "input"),
    ...componentSchemas(responses, "output"),
  };
  const notes = fieldNotes(config);
  for (const name of ["CreateRequest", "SubmitRequest"] as const) {
    describeBody(schemas[name], {
      description: REQUEST_NOTES[name],
      fields: notes[name],
      defaults: bodies[name].parse(MINIMAL_BODIES[name]),
    });
  }

  const paths: Record<string, Json> = {};
  const codes = errorNotes(config);
  for (const op of OPERATIONS) {
    const path = (paths[op.path] ??= {});
    path[op.method] = operationObject(op, config, codes);
  }
  for (const [route, item] of Object.entries(paths)) {
    const methods = Object.keys(item).map((m) => m.toUpperCase());
    item.options = optionsObject(methods);
    if (route.includes("{id}")) item.parameters = [SESSION_ID_PARAMETER];
    if (route.includes("{imageId}")) item.parameters = [SESSION_ID_PARAMETER, IMAGE_ID_PARAMETER];
  }
  paths["/openapi.json"] = {
    get: {
      operationId: "getOpenApiDocument",
      summary: "This document",
      security: [],
      responses: {
        "200": {
          description: "The OpenAPI 3.1 document (not in the envelope).",
          content: { "application/json": { schema: { type: "object" } } },
        },
        ...errorResponses(["METHOD_NOT_ALLOWED"], { codes, allow: ["GET"] }),
      },
    },
    options: optionsObject(["GET"]),
  };
  paths["/health"] = {
    // At the origin's root, not under `/api`.
    servers: [{ url: config.publicBaseUrl }],
    get: {
      operationId: "getHealth",
      summary: "Liveness and storage",
      security: [],
      responses: {
        "200": jsonResponse("Healthy: KV answered.", ref("HealthResponse")),
        "503": jsonResponse(
          "Degraded: KV did not answer in time; `success` is false and `data.status` is `degraded`.",
          ref("HealthResponse"),
        ),
      },
    },
  };

  return {
    openapi: "3.1.0",
    info: {
      title: "Interactive feedback API",
      version: SERVICE_VERSION,
      description: [
        `${SERVICE_NAME}: agents ask a human a question and get the answer.`,
        "Every JSON answer uses the envelope `{success, data, error, timestamp}`.",
        "An unknown route under `/api` is a 404 `NOT_FOUND`; `HEAD` is answered as `GET`, without a body.",
        `Request bodies are JSON (\`application/json\` or any \`application/*+json\`) of at most ${config.maxBodyBytes} bytes; create and submit, which may carry images, take up to ${config.maxImageBodyBytes}.`,
        "Limited routes carry `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` on their answers while the bucket is on.",
      ].join(" "),
    },
    servers: [{ url: `${config.publicBaseUrl}/api` }],
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" } },
      schemas,
      headers: RATE_LIMIT_HEADERS,
    },
  };
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** JSON Schemas of `schemas`, cross-referenced by name as `#/components/schemas/{name}`. */
function componentSchemas(
  schemas: Record<string, z.ZodType>,
  io: "input" | "output",
): Record<string, Json> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(schemas)) registry.add(schema, { id });
  const { schemas: out } = z.toJSONSchema(registry, {
    io,
    uri: (id) => `#/components/schemas/${id}`,
    override: ({ jsonSchema }) => {
      // zod's own regular expression behind `format` (date-time, uuid) says nothing more to a
      // reader than the format does, at a screenful each.
      if (jsonSchema.format && jsonSchema.pattern) delete jsonSchema.pattern;
    },
  });
  return Object.fromEntries(
    Object.entries(out).map(([id, schema]) => {
      // A component is named by its place in the document: no `$id` (2020-12 forbids the
      // fragment one zod writes) and no `$schema` (3.1's default dialect is 2020-12).
      const { $schema: _s, $id: _i, ...rest } = schema as Json;
      return [id, rest];
    }),
  );
}

/** Adds prose for the rules JSON Schema cannot state, and the defaults the schema fills in. */
function describeBody(
  schema: Json,
  notes: { description: string; fields: Json; defaults: Record<string, unknown> },
): void {
  const properties = schema.properties as Record<string, Json>;
  schema.description = notes.description;
  for (const [field, note] of Object.entries(notes.fields)) {
    // A note for a field the schema lost would document a rule nobody enforces.
    if (!properties[field]) throw new Error(`openapi: no field ${field} to describe`);
    properties[field].description = note;
  }
  const required = new Set((schema.required as string[] | undefined) ?? []);
  for (const [field, value] of Object.entries(notes.defaults)) {
    if (value !== null && properties[field] && !required.has(field)) {
      properties[field].default = value;
    }
  }
}

const IMAGE_ID_PARAMETER = {
  name: "imageId",
  in: "path",
  required: true,
  description:
    "`q1`..`qN`: the question's images; `a1`..`aN`: the answer's (the `id` of an image in the `Status` and `Result` views). Another is a 404 `NOT_FOUND`.",
  schema: { type: "string", pattern: "^[qa][1-9][0-9]*$" },
};

const SESSION_ID_PARAMETER = {
  name: "id",
  in: "path",
  required: true,
  description:
    "The session id: a UUID v4, case-insensitive. Anything else is a 400 on `sessionId`.",
  schema: { type: "string", format: "uuid" },
};

function operationObject(op: Operation, config: Config, codes: Record<ErrorCode, string>): Json {
  const limit = config.rateLimits[op.bucket];
  const subject = op.auth === "owner" ? "owner" : "client address";
  const allow = [op.method.toUpperCase()];
  return {
    operationId: op.operationId,
    summary: op.summary,
    description: `${
      op.notes ? `${op.notes} ` : ""
    }Counted per ${subject} in the \`${op.bucket}\` bucket: ${
      limit > 0 ? `${limit} requests a minute` : "off"
    } (\`${bucketVariable(op.bucket)}\`).`,
    ...(op.auth === "none" ? { security: [] } : {}),
    ...(op.query || op.headers
      ? { parameters: [...(op.query ? queryParameters(op.query) : []), ...(op.headers ?? [])] }
      : {}),
    ...(op.body
      ? {
        requestBody: {
          required: true,
          content: { "application/json": { schema: ref(op.body) } },
        },
      }
      : {}),
    responses: {
      ...(op.data === "Image" ? imageResponses() : {
        "200": jsonResponse(
          `Done: \`data\` is a \`${op.data}\`.`,
          ref(`${op.data}Response`),
          { ...rateLimitHeaders(), ...op.okHeaders },
        ),
      }),
      ...errorResponses([...op.errors, "METHOD_NOT_ALLOWED"], { codes, allow, rateLimited: true }),
    },
  };
}

/** The 200 and 304 of an image route: the bytes with the headers `image_response.ts` sets. */
function imageResponses(): Record<string, Json> {
  const etag = header(
    "A strong validator of the bytes; send it back as `If-None-Match` for a 304.",
    { type: "string" },
    true,
  );
  const cacheControl = header(
    "`private, max-age=86400, immutable`: an image id never changes its bytes.",
    { type: "string" },
    true,
  );
  return {
    "200": {
      description:
        "The image's bytes, with the type found in them (`Content-Type`), `X-Content-Type-Options: nosniff`, `Content-Disposition: inline` and `Content-Security-Policy: default-src 'none'; sandbox`. `HEAD` gives the same headers without the bytes.",
      headers: {
        "Content-Length": header("The image's size in bytes.", { type: "integer" }),
        ETag: etag,
        "Cache-Control": cacheControl,
        "Content-Disposition": header("`inline`.", { type: "string" }),
        "Content-Security-Policy": header("`default-src 'none'; sandbox`.", { type: "string" }),
        ...rateLimitHeaders(),
      },
      // OpenAPI 3.1: binary content needs no schema; the media type (the stored one) says it all.
      content: Object.fromEntries(IMAGE_TYPES.map((type) => [type, {}])),
    },
    "304": {
      description: "Not modified: `If-None-Match` named this image's `ETag`.",
      headers: { ETag: etag, "Cache-Control": cacheControl, ...rateLimitHeaders() },
    },
  };
}

/** The query's fields as parameters, from the schema the handler parses the query with. */
function queryParameters(query: z.ZodObject): Json[] {
  const schema = z.toJSONSchema(query, { io: "input" }) as Json;
  const required = new Set((schema.required as string[] | undefined) ?? []);
  return Object.entries(schema.properties as Record<string, Json>).map(([name, field]) => {
    const { description, ...fieldSchema } = field;
    return {
      name,
      in: "query",
      ...(required.has(name) ? { required: true } : {}),
      ...(description ? { description } : {}),
      schema: fieldSchema,
    };
  });
}

function jsonResponse(description: string, schema: Json, headers?: Json): Json {
  return {
    description,
    ...(headers && Object.keys(headers).length ? { headers } : {}),
    content: { "application/json": { schema } },
  };
}

/**
 * One response per status for `errorCodes`: the error envelope with `error.code` narrowed to the
 * codes this operation answers with that status, and the headers that go with them.
 */
function errorResponses(
  errorCodes: ErrorCode[],
  options: { codes: Record<ErrorCode, string>; allow: string[]; rateLimited?: boolean },
): Record<string, Json> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of errorCodes) {
    const status = httpStatusOf(code);
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const out: Record<string, Json> = {};
  for (const [status, group] of [...byStatus].sort(([a], [b]) => a - b)) {
    const description = group.map((code) => `\`${code}\`: ${options.codes[code]}`).join(" ");
    const schema = {
      allOf: [
        ref("ErrorResponse"),
        { properties: { error: { properties: { code: { enum: group } } } } },
      ],
    };
    out[status] = jsonResponse(description, schema, {
      ...statusHeaders(status, group, options.allow),
      // Counted requests carry the budget's headers; 401 and 405 are answered before counting.
      ...(options.rateLimited && status !== 401 && status !== 405 ? rateLimitHeaders() : {}),
    });
  }
  return out;
}

function header(description: string, schema: Json, required = false): Json {
  return { description, ...(required ? { required } : {}), schema };
}

/** The headers a status carries whatever the route. */
function statusHeaders(status: number, codes: ErrorCode[], allow: string[]): Json {
  switch (status) {
    case 401:
      return {
        "WWW-Authenticate": header(
          'The bearer challenge (RFC 6750); with `error="invalid_token"` when a token was sent.',
          { type: "string" },
          true,
        ),
      };
    case 405:
      return { Allow: allowHeader(allow) };
    case 429:
      return codes.includes("RATE_LIMITED")
        ? {
          "Retry-After": header("With `RATE_LIMITED`: seconds until the budget renews.", {
            type: "integer",
            minimum: 1,
          }),
        }
        : {};
    case 503:
      return {
        "Retry-After": header("Seconds to wait before retrying.", { type: "integer" }, true),
      };
    default:
      return {};
  }
}

function allowHeader(methods: string[]): Json {
  const allow = methods.flatMap((m) => m === "GET" ? ["GET", "HEAD"] : [m]).join(", ");
  return header(`The methods the route takes: \`${allow}\`.`, { type: "string" }, true);
}

const RATE_LIMIT_HEADERS = {
  "X-RateLimit-Limit": header("Requests allowed in the window.", { type: "integer", minimum: 0 }),
  "X-RateLimit-Remaining": header("Requests left in the window.", { type: "integer", minimum: 0 }),
  "X-RateLimit-Reset": header("When the window ends (epoch seconds).", { type: "integer" }),
};

/** `X-RateLimit-*`: on every counted answer of a limited route while its bucket is on. */
function rateLimitHeaders(): Json {
  return Object.fromEntries(
    Object.keys(RATE_LIMIT_HEADERS).map((name) => [name, { $ref: `#/components/headers/${name}` }]),
  );
}

/** `OPTIONS` on an API route: what it takes, no token needed. */
function optionsObject(methods: string[]): Json {
  return {
    summary: "The methods this route takes",
    security: [],
    responses: {
      "204": {
        description: "No content; `Allow` lists the methods.",
        headers: { Allow: allowHeader(methods) },
      },
    },
  };
}
