/** Service name and version, reported by `/health` and the MCP handshake. */
export const SERVICE_NAME = "interactive-feedback";
export const SERVICE_VERSION = "0.1.0";
