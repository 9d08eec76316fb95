import assert from "node:assert/strict";
import { answerErrorKey, answerErrorValues, formatSize } from "./answer_errors.ts";

const LIMIT = { maxFreeTextLength: 10 };
const LIMIT_TEXT = { ...LIMIT, freeText: "x".repeat(11) };

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

Deno.test("refused images map to their messages by code and the field they name", () => {
  const sent = { ...LIMIT, freeText: "see", images: 2 };
  const error = (code: string, field?: string) => ({ code, details: field ? { field } : {} });
  const cases: [unknown, string][] = [
    [error("UNSUPPORTED_MEDIA_TYPE", "images[1].data"), "errorImagesRefused"],
    [error("UNSUPPORTED_MEDIA_TYPE", "images[0].mimeType"), "errorImagesRefused"],
    [error("PAYLOAD_TOO_LARGE", "images[0].data"), "errorImagesTooLarge"],
    // A body over the cap names no field: with images in it, they made it large.
    [error("PAYLOAD_TOO_LARGE"), "errorImagesTooLarge"],
    [invalid("images", "must hold at most 4 images (got 5)"), "errorImagesTooMany"],
    [invalid("images[1].data", "is not a whole PNG image"), "errorImageBroken"],
    [error("QUOTA_EXCEEDED"), "errorImageQuota"],
  ];
  for (const [refusal, key] of cases) {
    assert.equal(answerErrorKey(refusal as never, sent), key, JSON.stringify(refusal));
  }
  // Without images, a body too large is the text's doing, as before.
  assert.equal(answerErrorKey(error("PAYLOAD_TOO_LARGE") as never, LIMIT_TEXT), "errorTooLong");
});

Deno.test("the messages' values state the limits as people read them", () => {
  assert.deepEqual(
    answerErrorValues({ maxFreeTextLength: 8000, maxImages: 4, maxImageBytes: 2 * 1024 * 1024 }),
    { max: 8000, images: 4, size: "2 MB" },
  );
  assert.equal(formatSize(10_240), "10 KB");
  assert.equal(formatSize(1_572_864), "1.5 MB");
  assert.equal(formatSize(100), "1 KB");
});
