/**
 * Folders that point one way: the import graph of the service's own code (lib/, routes/,
 * islands/, components/, app.ts, main.ts; the `_test.ts` files beside modules are left out)
 * against the layers of CONTRIBUTING.md and the house style:
 * - lib/ imports nothing from routes/, islands/, components/ or the composition root;
 * - a transport (lib/http/, lib/mcp/, lib/ws/, and lib/pages/ for the pages) imports nothing
 *   from another;
 * - the domain (every other lib/ module but the islands core lib/islands/) imports no transport,
 *   no hono or preact, and uses no HTTP type (`Request`, `Response`, `Headers`);
 * - the islands core (lib/islands/) imports no transport and no hono;
 * - islands/ imports nothing from routes/ or components/, and nothing that runs its code reaches
 *   a server-only module, a package not meant for the browser, or `Deno.*`;
 * - components/ imports nothing from routes/;
 * - an island's private modules (`islands/_*`) are imported from islands/ only.
 * Imports are read as text (static `import`/`export … from`, side-effect `import "…"` and
 * `import("…")`), so the check runs in milliseconds and needs no module graph.
 */
import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);
const SOURCES = ["lib/", "routes/", "islands/", "components/", "app.ts", "main.ts"];

/** Packages the browser bundle may contain; add one only after checking it is meant for it. */
const BROWSER_PACKAGES = new Set(["preact", "@preact/signals", "@preact/signals-core"]);
/** Packages that tie code to a transport or to rendering: never in the domain. */
const FRAMEWORK_PACKAGES = new Set([
  "hono",
  "preact",
  "preact-render-to-string",
  "@preact/signals",
  "@modelcontextprotocol/sdk",
  "@modelcontextprotocol/server",
  "@modelcontextprotocol/core",
  "@modelcontextprotocol/client",
  "@modelcontextprotocol/ext-apps",
]);
const TRANSPORTS = ["lib/http/", "lib/mcp/", "lib/ws/", "lib/pages/"];
const ISLANDS_CORE = "lib/islands/";
/** Modules that only make sense on the server, whatever they import. */
const SERVER_ONLY = [
  ...TRANSPORTS,
  "lib/auth/",
  "lib/config.ts",
  "lib/services.ts",
  "lib/feedback/service.ts",
  "lib/feedback/store.ts",
  "lib/islands/render.ts",
];

/** One import: `file` (a path from the repository root) names `specifier`. */
interface Import {
  file: string;
  specifier: string;
  /** A repository path for a relative specifier, else the package (`hono`, `node:fs`). */
  target: string;
  /** Erased at build time (`import type`, or only `type` names). */
  typeOnly: boolean;
}

/** The code of a module without its comments (strings holding `//` are rare in imports). */
function stripComments(code: string): string {
  return code.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
}

const STATIC_IMPORT = /^\s*(import|export)(\s+type)?\s+([\w$\s{},*]*?)\s*from\s*["']([^"']+)["']/gm;
const SIDE_EFFECT_IMPORT = /^\s*import\s*["']([^"']+)["']/gm;
const DYNAMIC_IMPORT = /\bimport\(\s*["']([^"']+)["']\s*\)/g;

/** The package a bare specifier names: `hono/cookie` → `hono`, `npm:/@scope/x@1/y` → `@scope/x`. */
function packageOf(specifier: string): string {
  if (/^(node|jsr|https?):/.test(specifier) && !specifier.startsWith("npm:")) {
    return specifier.startsWith("node:") ? specifier : specifier.replace(/^jsr:\/?/, "");
  }
  const parts = specifier.replace(/^npm:\/?/, "").split("/");
  const name = parts[0].startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0];
  return name.replace(/(.)@.*$/, "$1");
}

function targetOf(file: string, specifier: string): string {
  if (!specifier.startsWith(".")) return packageOf(specifier);
  return new URL(specifier, new URL(file, ROOT)).href.slice(ROOT.href.length);
}

/** Every import `code` (the text of `file`) makes. */
function importsOf(file: string, code: string): Import[] {
  const text = stripComments(code);
  const found: Import[] = [];
  const add = (specifier: string, typeOnly: boolean) =>
    found.push({ file, specifier, target: targetOf(file, specifier), typeOnly });
  for (const [, , typeKeyword, clause, specifier] of text.matchAll(STATIC_IMPORT)) {
    const names = clause.replace(/[{}]/g, "").split(",").map((n) => n.trim()).filter(Boolean);
    const onlyTypes = clause.trim().startsWith("{") && names.length > 0 &&
      names.every((n) => n.startsWith("type "));
    add(specifier, Boolean(typeKeyword) || onlyTypes);
  }
  for (const [, specifier] of text.matchAll(SIDE_EFFECT_IMPORT)) add(specifier, false);
  for (const [, specifier] of text.matchAll(DYNAMIC_IMPORT)) add(specifier, false);
  return found;
}

const isSourceFile = (path: string) =>
  /\.tsx?$/.test(path) && !/_test\.tsx?$/.test(path) && !path.endsWith(".d.ts");

async function walk(path: string, into: string[]): Promise<void> {
  const url = new URL(path, ROOT);
  const stat = await Deno.stat(url).catch(() => undefined);
  if (!stat) return;
  if (stat.isFile) {
    if (isSourceFile(path)) into.push(path);
    return;
  }
  for await (const entry of Deno.readDir(url)) {
    await walk(`${path}${entry.name}${entry.isDirectory ? "/" : ""}`, into);
  }
}

/** The source files and the text of each. */
async function readSources(): Promise<Map<string, string>> {
  const files: string[] = [];
  for (const source of SOURCES) await walk(source, files);
  const texts = new Map<string, string>();
  for (const file of files.sort()) texts.set(file, await Deno.readTextFile(new URL(file, ROOT)));
  return texts;
}

const sources = await readSources();
const imports = [...sources].flatMap(([file, code]) => importsOf(file, code));

const under = (path: string, ...folders: string[]) =>
  folders.some((f) => f.endsWith("/") ? path.startsWith(f) : path === f);
const transportOf = (path: string) => TRANSPORTS.find((t) => path.startsWith(t));
const isLocal = (i: Import) => i.specifier.startsWith(".");
const isDomain = (path: string) =>
  path.startsWith("lib/") && !transportOf(path) && !path.startsWith(ISLANDS_CORE);
const line = (i: Import, why: string) => `${i.file} → ${i.target} (${why})`;

/** Fails with one line per import against the layers. */
function report(violations: string[]): void {
  assert.deepEqual(violations, [], `imports against the layers:\n${violations.join("\n")}`);
}

Deno.test("lib/ imports nothing from routes/, islands/, components/ or the composition root", () => {
  report(
    imports
      .filter((i) => i.file.startsWith("lib/") && isLocal(i) && !i.target.startsWith("lib/"))
      .map((i) => line(i, "lib/ points inward")),
  );
});

Deno.test("no transport imports another transport", () => {
  report(
    imports
      .filter((i) => transportOf(i.file) && transportOf(i.target))
      .filter((i) => transportOf(i.file) !== transportOf(i.target))
      .map((i) => line(i, "one transport imports another")),
  );
});

Deno.test("the domain imports no transport, no hono or preact, and uses no HTTP type", () => {
  const violations = imports
    .filter((i) => isDomain(i.file))
    .filter((i) =>
      transportOf(i.target) || i.target.startsWith(ISLANDS_CORE) ||
      FRAMEWORK_PACKAGES.has(i.target)
    )
    .map((i) => line(i, "the domain knows a transport"));
  for (const [file, code] of sources) {
    if (!isDomain(file)) continue;
    for (const [name] of stripComments(code).matchAll(/\b(Request|Response|Headers)\b/g)) {
      violations.push(`${file} → ${name} (the domain uses an HTTP type)`);
    }
  }
  report([...new Set(violations)]);
});

Deno.test("the islands core (lib/islands/) imports no transport and no hono", () => {
  report(
    imports
      .filter((i) => i.file.startsWith(ISLANDS_CORE))
      .filter((i) => transportOf(i.target) || i.target === "hono")
      .map((i) => line(i, "lib/islands/ is the islands core only: render and hydrate")),
  );
});

Deno.test("islands import nothing from routes/ or components/", () => {
  report(
    imports
      .filter((i) => i.file.startsWith("islands/") && under(i.target, "routes/", "components/"))
      .map((i) => line(i, "islands are browser code")),
  );
});

Deno.test("nothing the islands run reaches server-only code, packages or Deno", async () => {
  // Follow the value imports (type imports are erased) from every file in islands/.
  const seen = new Set<string>();
  const queue = [...sources.keys()].filter((f) => f.startsWith("islands/"));
  const violations: string[] = [];
  while (queue.length > 0) {
    const file = queue.shift()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const code = sources.get(file) ?? await Deno.readTextFile(new URL(file, ROOT));
    if (/\bDeno\./.test(stripComments(code))) {
      violations.push(`${file} → Deno (the browser has no Deno namespace)`);
    }
    for (const i of importsOf(file, code).filter((i) => !i.typeOnly)) {
      if (!isLocal(i)) {
        if (!BROWSER_PACKAGES.has(i.target)) {
          violations.push(line(i, "a package not meant for the browser bundle"));
        }
      } else if (under(i.target, ...SERVER_ONLY)) {
        violations.push(line(i, "server-only code in the browser bundle"));
      } else {
        queue.push(i.target);
      }
    }
  }
  assert.ok(seen.has("lib/islands/client.ts"), "the walk reaches the hydration code");
  report(violations);
});

Deno.test("components/ imports nothing from routes/", () => {
  report(
    imports
      .filter((i) => i.file.startsWith("components/") && i.target.startsWith("routes/"))
      .map((i) => line(i, "components are used by routes, not the other way")),
  );
});

Deno.test("an island's private modules (islands/_*) are imported from islands/ only", () => {
  report(
    imports
      .filter((i) => /^islands\/_/.test(i.target) && !i.file.startsWith("islands/"))
      .map((i) => line(i, "private to islands/: import what the island's own file exports")),
  );
});

Deno.test("the import reader sees every form of import, and what is erased", () => {
  const code = `/** import { x } from "../lib/not_an_import.ts"; */
// import { y } from "../lib/commented.ts";
import type { A } from "../lib/a.ts";
import { type B, type C } from "../lib/b.ts";
import D, {
  type E,
  f,
} from "../lib/d.ts";
export { g } from "./g.ts";
export type { H } from "hono";
import "npm:/@modelcontextprotocol/sdk@1.32.2/server/mcp.js";
const loader = () => import("./Island.tsx");
import { getCookie } from "hono/cookie";`;
  assert.deepEqual(
    importsOf("islands/X.tsx", code).map((i) => [i.target, i.typeOnly]),
    [
      ["lib/a.ts", true],
      ["lib/b.ts", true],
      ["lib/d.ts", false],
      ["islands/g.ts", false],
      ["hono", true],
      ["hono", false],
      ["@modelcontextprotocol/sdk", false],
      ["islands/Island.tsx", false],
    ],
  );
  assert.ok(sources.size > 50, `read ${sources.size} source files`);
  assert.ok(
    imports.some((i) => i.file === "app.ts" && i.target === "routes/mod.ts"),
    "the graph holds app.ts → routes/mod.ts",
  );
});
