/**
 * Requests whose params break the MCP schema of their method are answered here with JSON-RPC
 * `-32602 Invalid params`, naming the field, before the SDK sees them: the SDK (1.x) reports such
 * a schema failure as `-32603 Internal error` with its raw validation text, which tells a client
 * neither that the mistake is theirs nor which field it is.
 * @module
 */
import {
  ClientRequestSchema,
  isJSONRPCRequest,
  type JSONRPCMessage,
  type WebStandardStreamableHTTPServerTransport,
} from "./sdk.ts";

/** The schema of each request method the SDK knows, by method name. */
const SCHEMA_BY_METHOD = new Map<string, (typeof ClientRequestSchema.options)[number]>(
  ClientRequestSchema.options.map((schema) => [schema.shape.method.value, schema]),
);

const INVALID_PARAMS = -32602;

/** Why `message` breaks its method's schema, or null when it does not (or is no request). */
export function invalidParamsReason(message: JSONRPCMessage): string | null {
  if (!isJSONRPCRequest(message)) return null;
  const schema = SCHEMA_BY_METHOD.get(message.method);
  if (!schema) return null; // unknown methods get the SDK's -32601
  const parsed = schema.safeParse(message);
  if (parsed.success) return null;
  const [issue] = parsed.error.issues;
  const field = issue.path.map(String).join(".") || "params";
  return `Invalid params: ${field}: ${issue.message}`;
}

/**
 * Makes `transport` answer requests with invalid params itself. Call after `server.connect`,
 * which installs the handler this wraps.
 */
export function answerInvalidParams(transport: WebStandardStreamableHTTPServerTransport): void {
  const deliver = transport.onmessage;
  transport.onmessage = (message, extra) => {
    const reason = invalidParamsReason(message);
    if (reason === null || !isJSONRPCRequest(message)) return deliver?.(message, extra);
    transport.send(
      { jsonrpc: "2.0", id: message.id, error: { code: INVALID_PARAMS, message: reason } },
      { relatedRequestId: message.id },
    ).catch(() => {}); // the client went away; nothing is left to answer
  };
}
