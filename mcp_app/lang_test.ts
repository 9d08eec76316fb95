import assert from "node:assert/strict";
import { pickLang } from "./lang.ts";

Deno.test("pickLang prefers the host's locale, then the question's language, then the browser's", () => {
  assert.equal(pickLang({ hostLocale: "zh-CN", questionLang: "en", browser: ["en-US"] }), "zh");
  assert.equal(pickLang({ hostLocale: "en-GB", questionLang: "zh" }), "en");
  assert.equal(pickLang({ hostLocale: "fr-FR", questionLang: "zh", browser: ["en"] }), "zh");
  assert.equal(pickLang({ hostLocale: "fr-FR", browser: ["de-DE", "zh-TW"] }), "zh");
  assert.equal(pickLang({}), "en");
});
