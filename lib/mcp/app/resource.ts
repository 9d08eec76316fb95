/**
 * The form's HTML document, as `deno task build` writes it (`mcp_app/build.ts`): one
 * self-contained file, script and styles inline, so it needs no network for itself inside the
 * host's sandboxed iframe (only the question's images may load from our origin, see
 * `feedbackAppResourceUi`). Read on first use, not at import, and read again only when the file
 * changes (a rebuild during `deno task dev`).
 * @module
 */

/** Where the build writes the document. */
export const FEEDBACK_APP_HTML = new URL("../../../static/build/mcp_app.html", import.meta.url);

/** Thrown when the document was never built: the resource cannot be served. */
export class AppNotBuiltError extends Error {
  constructor(cause: unknown) {
    super("The feedback form is not built: run `deno task build`.", { cause });
    this.name = "AppNotBuiltError";
  }
}

let cached: { mtime: number; html: string } | undefined;

/** The form's HTML; throws {@link AppNotBuiltError} when the build has not run. */
export async function loadAppHtml(): Promise<string> {
  try {
    const mtime = (await Deno.stat(FEEDBACK_APP_HTML)).mtime?.getTime() ?? 0;
    if (cached?.mtime !== mtime) {
      cached = { mtime, html: await Deno.readTextFile(FEEDBACK_APP_HTML) };
    }
    return cached.html;
  } catch (error) {
    throw new AppNotBuiltError(error);
  }
}
