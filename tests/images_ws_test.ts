/**
 * WebSocket `feedback_submitted` says how many images came with the answer (issue 12), on the
 * session's socket and on the owner's stream, over real sockets.
 */
import assert from "node:assert/strict";
import {
  createSessionViaApi,
  createTestInstance,
  postOk,
  randomOwner,
  tokenFor,
} from "./_helpers.ts";
import { imageInput, jpegOf, pngOf } from "./_images.ts";
import { serveInstance, TestClient } from "./_ws_client.ts";

Deno.test("feedback_submitted says how many images the answer carries, on the session socket and the owner stream", async () => {
  await using instance = await createTestInstance();
  await using server = serveInstance(instance);
  const token = await tokenFor(randomOwner());
  await using stream = await TestClient.connect(`${server.wsOrigin}/ws?token=${token}`);
  const { sessionId } = await createSessionViaApi(instance, token);
  await using client = await TestClient.connect(`${server.wsOrigin}/ws/${sessionId}`);

  await postOk(instance, `/api/feedback/${sessionId}/submit`, {
    freeText: "see both",
    images: [imageInput(pngOf(30, 20), "image/png"), imageInput(jpegOf(40, 30), "image/jpeg")],
  });
  const submitted = await client.next("feedback_submitted");
  assert.equal(submitted.data.sessionId, sessionId);
  assert.equal(submitted.data.images, 2);
  assert.equal(submitted.data.preview, "see both");
  const owned = await stream.next("feedback_submitted");
  assert.equal(owned.data.sessionId, sessionId);
  assert.equal(owned.data.images, 2);
});

Deno.test("feedback_submitted of an answer without images says 0", async () => {
  await using instance = await createTestInstance();
  await using server = serveInstance(instance);
  const { sessionId } = await createSessionViaApi(instance, await tokenFor(randomOwner()));
  await using client = await TestClient.connect(`${server.wsOrigin}/ws/${sessionId}`);
  await postOk(instance, `/api/feedback/${sessionId}/submit`, { selectedOptions: ["Yes"] });
  assert.equal((await client.next("feedback_submitted")).data.images, 0);
});
