/**
 * Builds the inline form's document, `static/build/mcp_app.html` (git-ignored, not served over
 * HTTP: the MCP resource `ui://interactive-feedback/form.html` hands it out). One self-contained
 * file, as a host's sandboxed iframe blocks the network: the view bundled by `deno bundle` for
 * the browser, the page's stylesheet and the form's own, and the form's strings in both languages,
 * all inline. Run by `scripts/build.ts` after the islands.
 * @module
 */
import { bundleForBrowser } from "../scripts/bundle.ts";
import { formStrings } from "./strings.ts";

/** What {@link buildFormDocument} wrote. */
export interface FormBuild {
  file: URL;
  bytes: number;
  gzipBytes: number;
}

/** Text that would end an inline `<script>` early: `</script` in any case. */
const SCRIPT_END = /<\/(script)/gi;

/** Builds the document into `root/static/build/mcp_app.html`; throws with the bundler's output. */
export async function buildFormDocument(root: URL): Promise<FormBuild> {
  const bundleFile = await Deno.makeTempFile({ suffix: ".js" });
  try {
    await bundleForBrowser(root, new URL("mcp_app/main.tsx", root).pathname, {
      output: bundleFile,
    });
    const script = await Deno.readTextFile(bundleFile);
    const styles = [
      await Deno.readTextFile(new URL("static/styles.css", root)),
      await Deno.readTextFile(new URL("mcp_app/app.css", root)),
    ].join("\n");
    const html = formDocument({ script, styles, strings: JSON.stringify(formStrings()) });
    const file = new URL("static/build/mcp_app.html", root);
    await Deno.mkdir(new URL(".", file), { recursive: true });
    await Deno.writeTextFile(file, html);
    return { file, bytes: new Blob([html]).size, gzipBytes: await gzipSize(html) };
  } finally {
    await Deno.remove(bundleFile).catch(() => {});
  }
}

/** The document around the inlined parts; each is escaped so it cannot close its element. */
export function formDocument(parts: { script: string; styles: string; strings: string }): string {
  if (/<\/style/i.test(parts.styles)) throw new Error("the stylesheet contains </style");
  // `<!--` inside a script changes how HTML parses the rest of it; minified code has none.
  if (parts.script.includes("<!--")) throw new Error("the bundle contains <!--");
  const script = parts.script.replace(SCRIPT_END, "<\\/$1");
  const strings = parts.strings.replaceAll("<", "\\u003c");
  return `<!doctype html>
<html lang="en" data-theme="auto">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>Feedback</title>
<style>${parts.styles}</style>
</head>
<body>
<div id="app"></div>
<script type="application/json" id="form-strings">${strings}</script>
<script type="module">${script}</script>
</body>
</html>
`;
}

async function gzipSize(text: string): Promise<number> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return (await new Response(stream).arrayBuffer()).byteLength;
}
