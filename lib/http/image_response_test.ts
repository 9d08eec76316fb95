import assert from "node:assert/strict";
import { imageResponse } from "./image_response.ts";

const image = (blob: string) => ({ id: "q1", mimeType: "image/png", blob });

Deno.test("imageResponse() tags an image by its blob id, hashed, without hashing its bytes", async () => {
  const request = new Request("http://x/feedback/s/images/q1");
  const blob = crypto.randomUUID();
  const first = await imageResponse(request, { image: image(blob), data: new Uint8Array([1]) });
  // Bytes are never hashed per request: the blob id (written once, never reused) names them.
  const same = await imageResponse(request, { image: image(blob), data: new Uint8Array([2]) });
  const other = await imageResponse(request, {
    image: image(crypto.randomUUID()),
    data: new Uint8Array([1]),
  });
  const etag = first.headers.get("etag")!;
  assert.match(etag, /^"[0-9a-f]{32}"$/);
  assert.ok(!etag.includes(blob.replaceAll("-", "").slice(0, 8)), "the blob id stays internal");
  assert.equal(same.headers.get("etag"), etag);
  assert.notEqual(other.headers.get("etag"), etag);

  const revalidated = await imageResponse(
    new Request(request.url, { headers: { "if-none-match": etag } }),
    { image: image(blob), data: new Uint8Array([1]) },
  );
  assert.equal(revalidated.status, 304);
});
