/**
 * The MCP SDK (v2, `@modelcontextprotocol/server`) pieces this project uses, in one place, so a
 * later SDK change touches one import list. The v2 packages ship typed `exports`, so these are
 * plain re-exports.
 * @module
 */

export {
  createMcpHandler,
  isJsonContentType,
  McpServer,
  readRequestBody,
} from "@modelcontextprotocol/server";
export type {
  AuthInfo,
  CallToolResult,
  ClientCapabilities,
  ServerContext,
  ToolAnnotations,
} from "@modelcontextprotocol/server";
// The request schemas, to answer invalid params before the SDK does (see invalid_params.ts); the
// server package depends on this exact core version and validates with the same schemas.
export { ClientRequestSchema } from "@modelcontextprotocol/core";
