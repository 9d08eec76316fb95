/**
 * A minimal MCP Apps host for the browser tests (bundled by `mcp_app_browser_test.ts` and loaded
 * by its host page): an MCP SDK v2 client of our server, and for each tool call a sandboxed iframe
 * (`sandbox="allow-scripts"`, the form's document as `srcdoc`) joined to that client by the
 * ext-apps `AppBridge`, as chat hosts do. The test drives it through `globalThis.testHost`.
 *
 * Query parameters: `token` (bearer), `mcp` (endpoint path), `theme` (`light`/`dark`), `locale`,
 * `csp=default` (ignore what the resource declares in `_meta.ui.csp`, as the strictest host may).
 */
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import {
  AppBridge,
  getToolUiResourceUri,
  isToolVisibilityAppOnly,
  PostMessageTransport,
  RESOURCE_MIME_TYPE,
} from "@modelcontextprotocol/ext-apps/app-bridge";

/**
 * The view's policy, put in its document as hosts do: the MCP Apps spec's default (no network,
 * inline script and style only) plus the origins the resource declares in `_meta.ui.csp`
 * (`resourceDomains` for scripts, styles, images and media; `connectDomains` for connections).
 */
function viewCsp(declared: { resourceDomains?: string[]; connectDomains?: string[] } = {}) {
  const resources = (declared.resourceDomains ?? []).map((d) => ` ${d}`).join("");
  const connect = declared.connectDomains?.length ? declared.connectDomains.join(" ") : "'none'";
  return [
    "default-src 'none'",
    `script-src 'self' 'unsafe-inline'${resources}`,
    `style-src 'self' 'unsafe-inline'${resources}`,
    `img-src 'self' data:${resources}`,
    `media-src 'self' data:${resources}`,
    `connect-src ${connect}`,
  ].join("; ");
}

const params = new URLSearchParams(location.search);
const theme = params.get("theme") === "dark" ? "dark" : "light";
const locale = params.get("locale") ?? "en-US";
const hostInfo = { name: "feedback-test-host", version: "1.0.0" };
document.documentElement.dataset.theme = theme;

const client = new Client(hostInfo, {
  capabilities: {
    extensions: { "io.modelcontextprotocol/ui": { mimeTypes: [RESOURCE_MIME_TYPE] } },
  },
  versionNegotiation: { mode: params.get("era") === "legacy" ? "legacy" : "auto" },
});
await client.connect(
  new StreamableHTTPClientTransport(new URL(params.get("mcp") ?? "/mcp", location.href), {
    requestInit: { headers: { Authorization: `Bearer ${params.get("token")}` } },
  }),
);
const { tools } = await client.listTools();

/** Links the views asked the host to open. */
const openedLinks: string[] = [];
const bridges: AppBridge[] = [];

/** Calls `name` as the agent would, and shows its view (if it has one) under the chat. */
async function callAndShow(name: string, args: Record<string, unknown>) {
  const result = await client.callTool({ name, arguments: args });
  const tool = tools.find((t) => t.name === name);
  const uri = tool && getToolUiResourceUri(tool);
  if (!uri) return { result, shown: false };
  const resource = await client.readResource({ uri });
  const content = resource.contents[0] as {
    text?: string;
    mimeType?: string;
    _meta?: { ui?: { csp?: Parameters<typeof viewCsp>[0] } };
  };
  if (content.mimeType !== RESOURCE_MIME_TYPE || !content.text) throw new Error("not an app");

  const turn = document.createElement("section");
  turn.className = "turn";
  const iframe = document.createElement("iframe");
  iframe.setAttribute("sandbox", "allow-scripts");
  iframe.title = name;
  turn.append(iframe);
  document.getElementById("chat")!.append(turn);

  const bridge = new AppBridge(client, hostInfo, { openLinks: {}, serverTools: {} }, {
    hostContext: { theme, locale, displayMode: "inline", platform: "web" },
  });
  bridge.onsizechange = ({ height }) => {
    if (height) iframe.style.height = `${height}px`;
  };
  bridge.onopenlink = ({ url }) => {
    openedLinks.push(url);
    return Promise.resolve({});
  };
  bridge.oninitialized = async () => {
    await bridge.sendToolInput({ arguments: args });
    await bridge.sendToolResult(result as Parameters<typeof bridge.sendToolResult>[0]);
  };
  await bridge.connect(new PostMessageTransport(iframe.contentWindow!, iframe.contentWindow!));
  iframe.srcdoc = content.text.replace(
    "<head>",
    `<head><meta http-equiv="Content-Security-Policy" content="${
      viewCsp(params.get("csp") === "default" ? {} : content._meta?.ui?.csp)
    }">`,
  );
  bridges.push(bridge);
  return { result, shown: true };
}

const testHost = {
  /** Names the model would see (every tool but the app-only ones). */
  modelTools: tools.filter((t) => !isToolVisibilityAppOnly(t)).map((t) => t.name),
  appOnlyTools: tools.filter((t) => isToolVisibilityAppOnly(t)).map((t) => t.name),
  callAndShow,
  /** The host's theme changed: every view hears of it. */
  setTheme(next: "light" | "dark") {
    document.documentElement.dataset.theme = next;
    for (const bridge of bridges) bridge.setHostContext({ theme: next, locale });
  },
  openedLinks,
};
(globalThis as Record<string, unknown>).testHost = testHost;
document.documentElement.dataset.ready = "true";
