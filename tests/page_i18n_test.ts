/**
 * The dictionary (lib/i18n.ts) and the markdown renderer (lib/markdown.ts) of the pages.
 */
import assert from "node:assert/strict";
import {
  format,
  langFromAcceptLanguage,
  MESSAGES,
  pickMessages,
  resolveLang,
} from "../lib/i18n.ts";
import { renderMarkdown } from "../lib/markdown.ts";
import { FEEDBACK_APP_MESSAGES } from "../islands/FeedbackApp.tsx";

Deno.test("every string exists, non-empty, in English and Chinese with the same placeholders", () => {
  const keys = Object.keys(MESSAGES.en).sort();
  assert.deepEqual(Object.keys(MESSAGES.zh).sort(), keys);
  for (const key of keys) {
    const en = MESSAGES.en[key as keyof typeof MESSAGES.en];
    const zh = MESSAGES.zh[key as keyof typeof MESSAGES.zh];
    assert.ok(en.trim() && zh.trim(), key);
    const placeholders = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort();
    assert.deepEqual(placeholders(zh), placeholders(en), key);
  }
});

Deno.test("the island gets only the strings it uses", () => {
  const picked = pickMessages("zh", FEEDBACK_APP_MESSAGES);
  assert.deepEqual(Object.keys(picked), [...FEEDBACK_APP_MESSAGES]);
  assert.equal(picked.submit, MESSAGES.zh.submit);
});

Deno.test("format fills placeholders and leaves unknown ones alone", () => {
  assert.equal(format("{count} / {max}", { count: 3, max: 10 }), "3 / 10");
  assert.equal(format("{x} {y}", { x: 1 }), "1 {y}");
});

Deno.test("Accept-Language picks the best supported language by quality", () => {
  assert.equal(langFromAcceptLanguage("zh-CN,zh;q=0.9,en;q=0.8"), "zh");
  assert.equal(langFromAcceptLanguage("en-GB,en;q=0.9,zh;q=0.8"), "en");
  assert.equal(langFromAcceptLanguage("fr, zh-Hant;q=0.5, en;q=0.4"), "zh");
  assert.equal(langFromAcceptLanguage("fr, de"), undefined);
  assert.equal(langFromAcceptLanguage("zh;q=0, en;q=0.1"), "en");
  assert.equal(langFromAcceptLanguage("*"), undefined);
  assert.equal(langFromAcceptLanguage(""), undefined);
  assert.equal(resolveLang({ query: "xx", cookie: "yy", acceptLanguage: "fr" }), "en");
});

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
