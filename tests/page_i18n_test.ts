/** The pages' dictionary as the island receives it (the dictionary itself: lib/i18n_test.ts). */
import assert from "node:assert/strict";
import { MESSAGES, pickMessages } from "../lib/i18n.ts";
import { FEEDBACK_APP_MESSAGES } from "../islands/feedback_app_messages.ts";

Deno.test("the island gets only the strings it uses", () => {
  const picked = pickMessages("zh", FEEDBACK_APP_MESSAGES);
  assert.deepEqual(Object.keys(picked), [...FEEDBACK_APP_MESSAGES]);
  assert.equal(picked.submit, MESSAGES.zh.submit);
});
