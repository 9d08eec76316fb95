/** The markdown renderer of the pages: raw HTML stays text, only safe links become links. */
import assert from "node:assert/strict";
import { renderMarkdown } from "./markdown.ts";

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
