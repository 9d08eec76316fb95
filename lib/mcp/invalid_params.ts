/**
 * Requests whose params break the MCP schema of their method are answered here with JSON-RPC
 * `-32602 Invalid params`, naming the field, before the SDK sees them: the SDK (2.4) still
 * reports some such failures (`resources/read` among them) as `-32603 Internal error` with its raw
 * validation text, which tells a client neither that the mistake is theirs nor which field it is.
 * The body is read once here and handed to the SDK parsed.
 * @module
 */
import { ClientRequestSchema, isJsonContentType, readRequestBody } from "./sdk.ts";

/** The schema of each request method the SDK knows, by method name. */
const SCHEMA_BY_METHOD = new Map<string, (typeof ClientRequestSchema.options)[number]>(
  ClientRequestSchema.options.map((schema) => [schema.shape.method.value, schema]),
);

const INVALID_PARAMS = -32602;

/** The first revision whose requests carry their own envelope (`server/discover`, no `initialize`). */
const FIRST_MODERN_REVISION = "2026-07-28";

/**
 * Methods the 2026-07-28 revision retired: a modern request for one must get the SDK's `404` /
 * `-32601`, which a params check here would hide behind a `-32602`.
 */
const RETIRED_IN_MODERN = new Set([
  "initialize",
  "logging/setLevel",
  "resources/subscribe",
  "resources/unsubscribe",
]);

/** Whether a request speaks the 2026-07-28 revision or later (its `MCP-Protocol-Version`). */
export function isModernRequest(request: Request): boolean {
  const version = request.headers.get("mcp-protocol-version");
  // Revisions are dates, so they order as strings.
  return version !== null && version >= FIRST_MODERN_REVISION;
}

/** A JSON-RPC error answer to one request. */
export interface InvalidParamsAnswer {
  jsonrpc: "2.0";
  id: string | number;
  error: { code: number; message: string };
}

/** What {@link readJsonBody} found. */
export type BodyRead =
  /** A JSON value: hand it to the SDK as `parsedBody`. */
  | { kind: "parsed"; body: unknown }
  /** Over the size limit: answer 413 (the rest of the body is left unread). */
  | { kind: "tooLarge" }
  /** Not JSON, no body, or another media type: the SDK answers it from this request. */
  | { kind: "other"; request: Request };

/**
 * Reads the body of a JSON POST once, up to `maxBytes`. The request's body is read here and
 * nowhere else: the SDK gets it parsed, or a copy of the text, so no clone of a body is left half
 * read (a `tee` whose other branch is never read keeps the connection's body from being released).
 */
export async function readJsonBody(request: Request, maxBytes: number): Promise<BodyRead> {
  // Another media type is the SDK's 415, answered before it reads anything.
  if (!isJsonContentType(request.headers.get("content-type")) || !request.body) {
    return { kind: "other", request };
  }
  const read = await readText(request, maxBytes);
  if (read.tooLarge) return { kind: "tooLarge" };
  try {
    if (read.text !== "") return { kind: "parsed", body: JSON.parse(read.text) };
  } catch {
    // The SDK's parse error, from the same text.
  }
  return { kind: "other", request: new Request(request, { body: read.text }) };
}

/**
 * The body as text, or `tooLarge`. A body of a declared length within `maxBytes` is read whole
 * (`Request.text()`): the server reads exactly that many bytes, so the cap holds, and the body is
 * not pulled through a stream reader. Pulled through a reader to its end, Deno 2.9 leaves the
 * 64 KiB buffer of its last, unanswered pull on the closed stream, held as long as the request is:
 * a held MCP call kept 64 KiB more than it needed for its whole wait (2,000 held calls: +64 KB
 * external memory and +110 KB RSS each; see docs/scale.md). A body without a declared length
 * (chunked) is read through the SDK's capped reader, as before.
 */
async function readText(
  request: Request,
  maxBytes: number,
): Promise<{ tooLarge: true } | { tooLarge: false; text: string }> {
  const declared = request.headers.get("content-length");
  if (declared === null || !/^\d+$/.test(declared)) return await readRequestBody(request, maxBytes);
  if (Number(declared) > maxBytes) return { tooLarge: true };
  return { tooLarge: false, text: await request.text() };
}

/** Why `message` breaks its method's schema, or null when it does not (or is no request). */
export function invalidParamsReason(message: unknown): string | null {
  if (!isRequest(message)) return null;
  const schema = SCHEMA_BY_METHOD.get(message.method);
  if (!schema) return null; // unknown methods get the SDK's -32601
  const parsed = schema.safeParse(message);
  if (parsed.success) return null;
  const [issue] = parsed.error.issues;
  const field = issue.path.map(String).join(".") || "params";
  return `Invalid params: ${field}: ${issue.message}`;
}

/**
 * The `-32602` answer to a body that is one request with invalid params, or null: the SDK
 * answers everything else (batches too, whose members it checks itself).
 */
export function invalidParamsAnswer(body: unknown, modern: boolean): InvalidParamsAnswer | null {
  if (modern && isRequest(body) && RETIRED_IN_MODERN.has(body.method)) return null;
  const reason = invalidParamsReason(body);
  if (reason === null || !isRequest(body)) return null;
  return { jsonrpc: "2.0", id: body.id, error: { code: INVALID_PARAMS, message: reason } };
}

/** A JSON-RPC request: a method and an id (a notification has no id and gets no answer). */
function isRequest(value: unknown): value is { method: string; id: string | number } {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const { jsonrpc, method, id } = value as Record<string, unknown>;
  return jsonrpc === "2.0" && typeof method === "string" &&
    (typeof id === "string" || (typeof id === "number" && Number.isInteger(id)));
}
