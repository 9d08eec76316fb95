/**
 * Copy-paste client configuration for an instance: shown on the home page (`/`, with a
 * placeholder token) and printed by `deno task dev` (with a real one), and mirrored in the README.
 * @module
 */
import { createUrlOf, mcpUrlOf } from "./links.ts";

/** The ready-to-paste ways to connect to one instance, each a text block. */
export interface ClientConfig {
  /** The MCP endpoint. */
  mcpUrl: string;
  /** `claude mcp add …` for Claude Code. */
  claudeCode: string;
  /** `claude_desktop_config.json` (through mcp-remote), as indented JSON. */
  claudeDesktop: string;
  /** `.cursor/mcp.json`, as indented JSON. */
  cursor: string;
  /** A list of the tools through the MCP Inspector's CLI. */
  inspector: string;
  /** A question asked with curl. */
  curl: string;
}

/** The client configuration that connects to `baseUrl` with `token`. */
export function clientConfig(baseUrl: string, token: string): ClientConfig {
  const mcpUrl = mcpUrlOf(baseUrl);
  const claudeDesktop = {
    mcpServers: {
      "interactive-feedback": {
        command: "npx",
        // mcp-remote substitutes the variable itself; clients mangle arguments with spaces.
        args: ["-y", "mcp-remote", mcpUrl, "--header", "Authorization:${AUTH_HEADER}"],
        env: { AUTH_HEADER: `Bearer ${token}` },
      },
    },
  };
  const cursor = {
    mcpServers: {
      "interactive-feedback": { url: mcpUrl, headers: { Authorization: `Bearer ${token}` } },
    },
  };
  return {
    mcpUrl,
    claudeCode:
      `claude mcp add --transport http interactive-feedback ${mcpUrl} --header "Authorization: Bearer ${token}"`,
    claudeDesktop: JSON.stringify(claudeDesktop, null, 2),
    cursor: JSON.stringify(cursor, null, 2),
    inspector:
      `npx @modelcontextprotocol/inspector --cli ${mcpUrl} --transport http --header "Authorization: Bearer ${token}" --method tools/list`,
    curl: `curl -s ${createUrlOf(baseUrl)} \\
  -H 'Authorization: Bearer ${token}' -H 'Content-Type: application/json' \\
  -d '{"message":"Ship it?","predefinedOptions":["Yes","No"]}'`,
  };
}

/** The client configuration as one text for a terminal (`deno task dev`). */
export function clientSnippets(baseUrl: string, token: string): string {
  const config = clientConfig(baseUrl, token);
  return [
    `Token (owner "dev"), as the README's curl examples expect it:\n  export TOKEN=${token}`,
    `curl:\n${indent(config.curl)}`,
    `Claude Desktop (claude_desktop_config.json, through mcp-remote):\n${
      indent(config.claudeDesktop)
    }`,
    `Claude Code:\n${indent(config.claudeCode)}`,
    `Cursor (.cursor/mcp.json):\n${indent(config.cursor)}`,
    `MCP Inspector:\n${indent(config.inspector)}`,
  ].join("\n\n");
}

function indent(text: string): string {
  return text.split("\n").map((line) => `  ${line}`).join("\n");
}
