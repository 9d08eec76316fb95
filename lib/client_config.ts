/**
 * Copy-paste client configuration for a running instance, printed by `deno task dev`
 * (and mirrored in the README).
 * @module
 */

/** Text blocks that connect curl and the common MCP clients to `baseUrl` with `token`. */
export function clientSnippets(baseUrl: string, token: string): string {
  const mcpUrl = `${baseUrl}/mcp`;
  const claudeDesktop = {
    mcpServers: {
      "interactive-feedback": {
        command: "npx",
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
  return [
    `Token (owner "dev"), as the README's curl examples expect it:\n  export TOKEN=${token}`,
    `curl:\n  curl -s ${baseUrl}/api/feedback/create -H 'Authorization: Bearer ${token}' \\\n    -H 'Content-Type: application/json' -d '{"message":"Ship it?","predefinedOptions":["Yes","No"]}'`,
    `Claude Desktop (claude_desktop_config.json, through mcp-remote):\n${
      indent(JSON.stringify(claudeDesktop, null, 2))
    }`,
    `Claude Code:\n  claude mcp add --transport http interactive-feedback ${mcpUrl} --header "Authorization: Bearer ${token}"`,
    `Cursor (.cursor/mcp.json):\n${indent(JSON.stringify(cursor, null, 2))}`,
    `MCP Inspector:\n  npx @modelcontextprotocol/inspector --cli ${mcpUrl} --transport http --header "Authorization: Bearer ${token}" --method tools/list`,
  ].join("\n\n");
}

function indent(text: string): string {
  return text.split("\n").map((line) => `  ${line}`).join("\n");
}
