import assert from "node:assert/strict";
import { sha256Hex } from "./hash.ts";

Deno.test("sha256Hex() hashes text as UTF-8 and bytes as they are, viewed or whole", async () => {
  const abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  assert.equal(await sha256Hex("abc"), abc);
  assert.equal(await sha256Hex(new TextEncoder().encode("abc")), abc);
  assert.equal(await sha256Hex(new TextEncoder().encode("xabcx").subarray(1, 4)), abc);
});
