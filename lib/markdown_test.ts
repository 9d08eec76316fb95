/** The markdown renderer of the pages: raw HTML stays text, only safe links become links. */
import assert from "node:assert/strict";
import { createMarkdownCache, renderMarkdown } from "./markdown.ts";

Deno.test("markdown: raw HTML is text, links are vetted and open safely, images are links", () => {
  assert.equal(renderMarkdown("<b>hi</b>"), "<p>&lt;b&gt;hi&lt;/b&gt;</p>\n");
  assert.equal(
    renderMarkdown("[a](https://a.example)"),
    '<p><a href="https://a.example" target="_blank" rel="noopener noreferrer nofollow">a</a></p>\n',
  );
  assert.match(renderMarkdown("see https://b.example"), /rel="noopener noreferrer nofollow"/);
  for (
    const bad of [
      "javascript:alert(1)",
      "java&#x73;cript:alert(1)",
      "vbscript:x",
      "file:///etc/passwd",
      "data:text/html,x",
      "data:image/png;base64,AAAA",
      "intent://scan/#Intent;scheme=zxing;end",
      "ms-settings:privacy",
      "tel:+1555",
      "/api/feedback/list",
      "//evil.example/x",
      "#top",
    ]
  ) {
    assert.doesNotMatch(renderMarkdown(`[x](${bad})`), /<a /, bad);
    assert.doesNotMatch(renderMarkdown(`<${bad}>`), /<a /, bad);
  }
  for (const good of ["https://a.example/x?y=1", "http://b.example", "mailto:me@c.example"]) {
    assert.match(renderMarkdown(`[x](${good})`), /<a href=/, good);
  }
  assert.doesNotMatch(renderMarkdown("![x](https://t.example/p.gif)"), /<img/);
  assert.match(renderMarkdown("| a | b |\n|---|---|\n| 1 | 2 |"), /<table>/);
  assert.match(renderMarkdown("```\ncode\n```"), /<pre><code>code/);
});

Deno.test("the markdown cache answers what renderMarkdown would, even when a key's source changes", () => {
  const cache = createMarkdownCache();
  const first = "Ship **it**?";
  const second = "Hold <b>it</b>, see [x](javascript:alert(1))";
  assert.equal(cache.render("a", first), renderMarkdown(first));
  assert.equal(cache.render("a", first), renderMarkdown(first), "a hit");
  assert.equal(cache.render("a", second), renderMarkdown(second), "never the older text's HTML");
  assert.equal(cache.render("b", first), renderMarkdown(first), "never another key's HTML");
  assert.equal(cache.render("a", second), renderMarkdown(second));
  assert.equal(cache.size, 2);
});

Deno.test("the markdown cache keeps within its entries and characters, dropping the least used", () => {
  const cache = createMarkdownCache({ maxEntries: 3, maxChars: 340 });
  for (const key of ["a", "b", "c"]) cache.render(key, `text ${key}`); // 20 characters each
  cache.render("a", "text a"); // now the most recently used
  cache.render("d", "text d");
  assert.deepEqual(["a", "b", "c", "d"].map((k) => cache.has(k)), [true, false, true, true]);
  const big = "x".repeat(150); // 308 characters with its HTML: c goes for the count, a for size
  assert.equal(cache.render("big", big), renderMarkdown(big));
  assert.deepEqual(["a", "c", "d", "big"].map((k) => cache.has(k)), [false, false, true, true]);
  const huge = "y".repeat(500);
  assert.equal(
    cache.render("huge", huge),
    renderMarkdown(huge),
    "too large to keep, still rendered",
  );
  assert.equal(cache.has("huge"), false);
  assert.equal(cache.size, 2);
});
