/**
 * The inline form's entry (bundled by `deno task build` into the form's document, see
 * `build.ts`): connects to the host as an MCP App, hands the controller what the host sends (the
 * agent's call and result, theme and locale), and renders the form.
 * @module
 */
import { App, applyDocumentTheme, type McpUiHostContext } from "@modelcontextprotocol/ext-apps";
import { effect } from "@preact/signals";
import { render } from "preact";
import { HTML_LANG, type Lang } from "../lib/i18n.ts";
import { SERVICE_NAME, SERVICE_VERSION } from "../lib/version.ts";
import { createFormController } from "./controller.ts";
import { FeedbackForm } from "./FeedbackForm.tsx";
import type { FormStrings } from "./strings.ts";

/**
 * How long the view waits for a tool call through the host. The watch holds at most
 * `MCP_MAX_WAIT` (≤ 240 s); the host's own client may give up sooner, which the form survives.
 */
const CALL_TIMEOUT_MS = 300_000;

const strings = JSON.parse(
  document.getElementById("form-strings")?.textContent ?? "{}",
) as Record<Lang, FormStrings>;

const app = new App({ name: `${SERVICE_NAME}-form`, version: SERVICE_VERSION }, {});

const form = createFormController({
  host: {
    callTool: (name, args, { signal }) =>
      app.callServerTool({ name, arguments: args }, { signal, timeout: CALL_TIMEOUT_MS }),
    openLink: (url) => void app.openLink({ url }).catch(() => {}),
  },
  strings,
  browserLanguages: navigator.languages,
});

/** Follows the host's theme and locale; a change carries only what changed. */
function applyHostContext(context: McpUiHostContext | undefined): void {
  if (context?.theme) applyDocumentTheme(context.theme);
  if (context?.locale) form.setHostLocale(context.locale);
}

// Set before connecting: the host may send the call and its result right after the handshake.
app.ontoolinput = (params) => form.onToolInput(params.arguments);
app.ontoolresult = (result) => form.onToolResult(result);
app.onhostcontextchanged = applyHostContext;
app.onteardown = () => {
  form.stop();
  return {};
};

effect(() => {
  document.documentElement.lang = HTML_LANG[form.lang.value];
});
render(<FeedbackForm form={form} />, document.getElementById("app")!);

try {
  await app.connect();
  applyHostContext(app.getHostContext());
} catch {
  // Not inside a host that speaks MCP Apps: nothing can be answered here.
  form.problem.value = "unsupported";
}
