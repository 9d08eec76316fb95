import assert from "node:assert/strict";
import { answerErrorKey } from "./answer_errors.ts";

const LIMIT = { maxFreeTextLength: 10 };

function invalid(field: string, reason: string) {
  return { code: "INVALID_REQUEST", details: { field, reason } };
}

Deno.test("free text over the limit reads as too long, whatever the server's wording", () => {
  const sent = { ...LIMIT, freeText: "😀".repeat(11) };
  assert.equal(
    answerErrorKey(invalid("freeText", "must be at most 10 characters"), sent),
    "errorTooLong",
  );
  assert.equal(answerErrorKey(invalid("freeText", "exceeds the limit"), sent), "errorTooLong");
  assert.equal(answerErrorKey(invalid("freeText", ""), sent), "errorTooLong");
});

Deno.test("free text within the limit that is refused reads as not accepted", () => {
  // Counted as the server counts: trimmed, in code points (ten emoji are ten characters).
  const sent = { ...LIMIT, freeText: `  ${"😀".repeat(10)}  ` };
  const refusal = invalid("freeText", "this question does not accept free text");
  assert.equal(answerErrorKey(refusal, sent), "errorInvalid");
});

Deno.test("each refusal maps to its message by code and field", () => {
  const sent = { ...LIMIT, freeText: "" };
  const cases: [unknown, string][] = [
    [invalid("feedback", "choose an option or write an answer"), "errorEmpty"],
    [invalid("selectedOptions[0]", "is not one of the session's options"), "errorInvalid"],
    [{ code: "INVALID_REQUEST" }, "errorInvalid"],
    [{ code: "PAYLOAD_TOO_LARGE" }, "errorTooLong"],
    [{ code: "UNSUPPORTED_MEDIA_TYPE" }, "errorUnsupported"],
    [{ code: "RATE_LIMITED" }, "errorRateLimited"],
    [{ code: "SERVICE_UNAVAILABLE" }, "errorUnavailable"],
    [{ code: "INTERNAL_ERROR" }, "errorServer"],
    [{ code: "toString" }, "errorServer"],
    [undefined, "errorServer"],
    [null, "errorServer"],
  ];
  for (const [error, key] of cases) {
    assert.equal(answerErrorKey(error as never, sent), key, JSON.stringify(error));
  }
});
