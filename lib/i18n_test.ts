/** The dictionary of the pages: every string in every language, placeholders, language choice. */
import assert from "node:assert/strict";
import { format, langFromAcceptLanguage, MESSAGES, resolveLang } from "./i18n.ts";

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
