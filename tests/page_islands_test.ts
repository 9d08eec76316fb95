/**
 * The islands layer (lib/islands/): the server wrapper, props serialization, the browser entry's
 * table of islands, and the built bundle's size budget.
 */
import assert from "node:assert/strict";
import { h } from "preact";
import { renderToString } from "preact-render-to-string";
import { ISLAND_LOADERS } from "../islands/_entry.ts";
import { INBOX_ISLAND_LOADERS } from "../islands/inbox/_entry.ts";
import { definedIslands, defineIsland, serializeProps } from "../lib/islands/island.tsx";
import { formatRemaining } from "../islands/FeedbackApp.tsx";
import "../routes/mod.ts"; // defines every island the pages use

function Greeting({ name }: { name: string }) {
  return h("p", null, `Hello ${name}`);
}

/** Decodes the attribute escaping of preact-render-to-string. */
function unescapeAttribute(value: string): string {
  return value.replaceAll("&quot;", '"').replaceAll("&lt;", "<").replaceAll("&gt;", ">")
    .replaceAll("&amp;", "&");
}

Deno.test("an island renders its HTML inside a wrapper that records its name and props", () => {
  const Island = defineIsland("TestGreeting", Greeting);
  const html = renderToString(h(Island, { name: "Ada" }));
  assert.equal(
    html,
    '<div class="island" data-island="TestGreeting" data-props="{&quot;name&quot;:&quot;Ada&quot;}"><p>Hello Ada</p></div>',
  );
});

Deno.test("props that could break out of the attribute round-trip as plain data", () => {
  const Island = defineIsland("TestGreeting", Greeting);
  const nasty = `"></div><script>alert(1)</script>&amp;'\u2028`;
  const html = renderToString(h(Island, { name: nasty }));
  assert.doesNotMatch(html, /<script/);
  const attribute = html.match(/data-props="([^"]*)"/)![1];
  assert.deepEqual(JSON.parse(unescapeAttribute(attribute)), { name: nasty });
});

Deno.test("props must be JSON: functions and children are refused at render time", () => {
  assert.throws(
    () => serializeProps("X", { onClick: () => {} }),
    /prop "onClick" is not serializable/,
  );
  assert.throws(() => serializeProps("X", { s: Symbol("s") }), /not serializable/);
  const Island = defineIsland("TestGreeting", Greeting);
  assert.throws(
    () => renderToString(h(Island, { name: "x", extra: () => 1 } as never)),
    /not serializable/,
  );
});

Deno.test("island names are PascalCase and defined once", () => {
  assert.throws(() => defineIsland("lower", Greeting), /PascalCase/);
  assert.throws(() => defineIsland("TestGreeting", () => null), /defined twice/);
});

Deno.test("the browser entry loads exactly the islands in islands/ that the pages define", async () => {
  const files: string[] = [];
  for await (const entry of Deno.readDir(new URL("../islands/", import.meta.url))) {
    if (entry.isFile && /^[A-Z]\w*\.tsx$/.test(entry.name)) files.push(entry.name.slice(0, -4));
  }
  const loaders = Object.keys(ISLAND_LOADERS).sort();
  assert.deepEqual(loaders, files.sort());
  // The inbox has an entry of its own (islands/inbox/_entry.ts); its islands are the rest.
  const inboxOnly = Object.keys(INBOX_ISLAND_LOADERS).filter((n) => !(n in ISLAND_LOADERS));
  assert.deepEqual(
    definedIslands().filter((n) => !n.startsWith("Test") && !inboxOnly.includes(n)),
    loaders,
  );
  for (const [name, load] of Object.entries(ISLAND_LOADERS)) {
    assert.equal(typeof (await load()).default, "function", name);
  }
});

Deno.test("the countdown reads m:ss, and h:mm:ss from an hour up", () => {
  assert.equal(formatRemaining(299_001), "5:00");
  assert.equal(formatRemaining(59_000), "0:59");
  assert.equal(formatRemaining(3_600_000), "1:00:00");
  assert.equal(formatRemaining(3_725_000), "1:02:05");
  assert.equal(formatRemaining(-5), "0:00");
});

Deno.test("the islands a page loads first stay within 18 KB of gzip, the image scaling within 2 KB", async () => {
  const dir = new URL("../static/build/", import.meta.url);
  let first = 0;
  let scaling = 0;
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.name.endsWith(".js")) continue;
    const stream = (await Deno.open(new URL(entry.name, dir))).readable
      .pipeThrough(new CompressionStream("gzip"));
    const gzip = (await new Response(stream).arrayBuffer()).byteLength;
    // Loaded with the first image an answer takes (`_attachments.ts`), not with the page.
    if (entry.name.startsWith("_image_scale-")) scaling += gzip;
    else first += gzip;
  }
  assert.ok(first > 1000, "run `deno task build` first");
  assert.ok(scaling > 500, "the image scaling is a chunk of its own");
  // 15 KB before answers took images (paste, drop, pick, progress; the scaling is apart).
  assert.ok(first <= 18 * 1024, `${first} bytes of gzip`);
  assert.ok(scaling <= 2 * 1024, `${scaling} bytes of gzip`);
});
