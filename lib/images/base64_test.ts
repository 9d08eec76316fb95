import assert from "node:assert/strict";
import { base64DecodedLength, base64Problem, decodeBase64Strict } from "./base64.ts";
import { checkImages } from "./check.ts";

Deno.test("decodeBase64Strict() reads standard base64 with and without padding", () => {
  for (let length = 0; length <= 12; length++) {
    const bytes = crypto.getRandomValues(new Uint8Array(length));
    const padded = bytes.toBase64();
    const unpadded = padded.replace(/=+$/, "");
    assert.deepEqual(decodeBase64Strict(padded), bytes, `padded, ${length} bytes`);
    assert.deepEqual(decodeBase64Strict(unpadded), bytes, `unpadded, ${length} bytes`);
    assert.equal(base64DecodedLength(padded), length);
    assert.equal(base64DecodedLength(unpadded), length);
  }
});

Deno.test("decodeBase64Strict() refuses junk that atob would quietly accept or misread", async (t) => {
  const cases: [string, string, RegExp][] = [
    ["a space", "QUJD REVG", /whitespace/],
    ["a line break", "QUJD\nREVG", /whitespace/],
    ["a data: URL", "data:image/png;base64,QUJD", /data: URL/],
    ["the URL-safe alphabet", "QUJD-_", /URL-safe/],
    ["a stray character", "QUJD!", /not valid base64/],
    ["padding in the middle", "QQ==QUJD", /not valid base64/],
    ["three padding characters", "QQ===", /not valid base64/],
    ["padding on a short group", "QUJ=Q", /not valid base64/],
    ["a length no encoding has", "QUJDR", /length/],
    ["padding where none fits", "QQ=", /length/],
  ];
  for (const [what, text, reason] of cases) {
    await t.step(what, () => {
      assert.equal(decodeBase64Strict(text), null);
      assert.match(base64Problem(text) ?? "", reason);
    });
  }
});

Deno.test("decodeBase64Strict() refuses whitespace anywhere, however much, padded or not", () => {
  const spaces = [" ", "\n", "\r", "\t", "\f"];
  for (let trial = 0; trial < 3000; trial++) {
    const bytes = crypto.getRandomValues(new Uint8Array(trial % 40));
    let text = bytes.toBase64();
    if (trial % 2) text = text.replace(/=+$/, "");
    const count = 1 + (trial % 4);
    for (let i = 0; i < count; i++) {
      const at = Math.floor(Math.random() * (text.length + 1));
      text = text.slice(0, at) + spaces[(trial + i) % spaces.length] + text.slice(at);
    }
    assert.equal(decodeBase64Strict(text), null, JSON.stringify(text));
  }
});

Deno.test("a million '=' then a letter is refused as junk in one pass, by every base64 function and by checkImages()", async () => {
  // A backtracking `/=+$/` costs the square of the run: this input would hold the event loop
  // for minutes (200,000 characters took 21 s), so a quadratic version hangs this test.
  const text = "=".repeat(1_000_000) + "A";
  assert.equal(decodeBase64Strict(text), null);
  assert.equal(base64Problem(text), "is not valid base64");
  assert.equal(base64DecodedLength(text), 750_000);
  const padded = "A".repeat(8) + "=".repeat(1_000_000);
  assert.equal(decodeBase64Strict(padded), null);
  assert.equal(base64Problem(padded), "is not valid base64");
  const refused = await checkImages([{ data: text, mimeType: "image/png" }], {
    maxImageBytes: 2 * 1024 * 1024,
  }).catch((error) => error);
  assert.equal(refused.code, "INVALID_REQUEST");
  assert.equal(refused.details.field, "images[0].data");
});
