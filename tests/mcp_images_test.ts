/**
 * Images over MCP (issue 12), with the real SDK v2 client in both protocol eras: an agent asks
 * with two images and the session holds them (the capability address serves the same bytes); the
 * human answers with images over REST while the agent waits (in `get_feedback_result`, and in a
 * waited `interactive_feedback`) and the agent receives them as `image` content blocks after the
 * text, with the same pixels, listed in `structuredContent`; bad images are refused with the
 * service's codes and store nothing.
 */
import assert from "node:assert/strict";
import type { VersionNegotiationMode } from "@modelcontextprotocol/client";
import { FEEDBACK_APP_URI } from "../lib/mcp/app/protocol.ts";
import { randomOwner, tokenFor } from "./_helpers.ts";
import {
  gifOf,
  imageInput,
  jpegClaiming,
  jpegOf,
  pngOf,
  svgImage,
  textWithPngHeader,
} from "./_images.ts";
import { appPayloadOf } from "./_mcp_app_fixture.ts";
import {
  connectV2Client,
  serveInstance,
  submitViaApi,
  textOf,
  untilWaiting,
} from "./_mcp_helpers.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

const ERAS: [string, VersionNegotiationMode][] = [
  ["2025-11-25", "legacy"],
  ["2026-07-28", { pin: "2026-07-28" }],
];

interface Block {
  type: string;
  text?: string;
  data?: string;
  mimeType?: string;
}

function blocksOf(result: unknown): Block[] {
  return (result as { content: Block[] }).content;
}

/** The width and height a browser-grade decoder finds in `bytes`. */
async function decodedSize(bytes: Uint8Array, type: string): Promise<[number, number]> {
  const bitmap = await createImageBitmap(new Blob([bytes as Uint8Array<ArrayBuffer>], { type }));
  try {
    return [bitmap.width, bitmap.height];
  } finally {
    bitmap.close();
  }
}

async function bytesAt(url: string, headers: HeadersInit = {}): Promise<[Uint8Array, string]> {
  const res = await fetch(url, { headers });
  assert.equal(res.status, 200, url);
  return [new Uint8Array(await res.arrayBuffer()), res.headers.get("content-type") ?? ""];
}

for (const [era, mode] of ERAS) {
  Deno.test(`an agent's question with two images is stored with them and their address serves the same bytes (${era})`, async () => {
    await using served = await serveInstance();
    const owner = randomOwner();
    await using mcp = await connectV2Client(served.mcpUrl, await tokenFor(owner), mode);
    const { tools } = await mcp.client.listTools();
    const ask = tools.find((t) => t.name === "interactive_feedback")!;
    assert.ok((ask.inputSchema.properties as Json).images, "the input schema has images");
    assert.match(ask.description ?? "", /at most 4, each PNG, JPEG, WebP or GIF of up to 2 MiB/);

    const png = pngOf(640, 400);
    const jpeg = jpegOf(320, 200);
    const result = await mcp.client.callTool({
      name: "interactive_feedback",
      arguments: {
        message: "Which layout do you prefer?",
        images: [imageInput(png, "image/png", "The login page"), imageInput(jpeg, "image/jpeg")],
      },
    });
    assert.notEqual(result.isError, true, textOf(result));
    const { sessionId } = result.structuredContent as Json;

    const session = await served.instance.services.feedback.getOwned(owner, sessionId);
    assert.deepEqual(
      session.images?.map((i) => [i.id, i.mimeType, i.width, i.height, i.bytes, i.alt]),
      [
        ["q1", "image/png", 640, 400, png.length, "The login page"],
        ["q2", "image/jpeg", 320, 200, jpeg.length, null],
      ],
    );
    for (
      const [id, sent, type] of [["q1", png, "image/png"], ["q2", jpeg, "image/jpeg"]] as const
    ) {
      const [got, contentType] = await bytesAt(
        `${served.origin}/feedback/${sessionId}/images/${id}`,
      );
      assert.equal(contentType, type);
      assert.deepEqual(got, sent, `${id}: the same bytes`);
    }

    const base = served.instance.services.config.publicBaseUrl;
    // The inline form's state lists them (a 2025-era request declares no capabilities, so it gets
    // the state; the pinned client declares no Apps support, so it gets none).
    const state = appPayloadOf(result)?.state;
    if (era === "2025-11-25") {
      assert.deepEqual(state?.images?.map((i) => [i.id, i.alt, i.url]), [
        ["q1", "The login page", `${base}/feedback/${sessionId}/images/q1`],
        ["q2", null, `${base}/feedback/${sessionId}/images/q2`],
      ]);
    } else {
      assert.equal(state, undefined);
    }
    // The view may load them from our origin (for views whose arguments carry no bytes).
    const resource = await mcp.client.readResource({ uri: FEEDBACK_APP_URI });
    assert.deepEqual(
      (resource.contents[0]._meta as Json)?.ui?.csp,
      { resourceDomains: [new URL(base).origin] },
    );
  });

  Deno.test(`an answer's image reaches the agent waiting in get_feedback_result as image content after the text (${era})`, async () => {
    await using served = await serveInstance();
    const owner = randomOwner();
    const token = await tokenFor(owner);
    await using mcp = await connectV2Client(served.mcpUrl, token, mode);
    await mcp.client.listTools(); // the client then checks structuredContent against the schemas
    const created = await mcp.client.callTool({
      name: "interactive_feedback",
      arguments: { message: "Does the button look right?" },
    });
    const { sessionId } = created.structuredContent as Json;

    const waiting = mcp.client.callTool({
      name: "get_feedback_result",
      arguments: { sessionId, wait: 30 },
    });
    await untilWaiting(served.instance);
    const screenshot = pngOf(300, 150, { color: [200, 40, 40] });
    const submitted = await submitViaApi(served.instance, sessionId, {
      freeText: "This button is wrong, see",
      images: [imageInput(screenshot, "image/png")],
    });
    assert.equal(submitted.status, 200, await submitted.clone().text());
    const result = await waiting;
    assert.notEqual(result.isError, true, textOf(result));

    const [text, image, ...rest] = blocksOf(result);
    assert.equal(text.type, "text");
    assert.match(text.text!, /^The user answered:\n\nThis button is wrong, see\n/);
    assert.match(text.text!, /The user attached 1 image: it follows this text as image content/);
    assert.equal(image.type, "image");
    assert.equal(image.mimeType, "image/png");
    assert.deepEqual(rest, []);
    const received = Uint8Array.fromBase64(image.data!);
    assert.deepEqual(received, screenshot, "the same bytes");
    assert.deepEqual(await decodedSize(received, image.mimeType!), [300, 150]);

    const path = `/api/feedback/${sessionId}/images/a1`;
    const url = `${served.instance.services.config.publicBaseUrl}${path}`;
    assert.deepEqual((result.structuredContent as Json).feedback.images, [
      { id: "a1", mimeType: "image/png", bytes: screenshot.length, width: 300, height: 150, url },
    ]);
    const [owned] = await bytesAt(`${served.origin}${path}`, { Authorization: `Bearer ${token}` });
    assert.deepEqual(owned, screenshot, "the owner's address serves the same bytes");

    // A call that does not hand out the answer lists the images and says where to get them.
    const status = await mcp.client.callTool({
      name: "check_feedback_status",
      arguments: { sessionId },
    });
    assert.equal(blocksOf(status).length, 1);
    assert.match(textOf(status), /attached 1 image: call get_feedback_result .* to receive it/);
    assert.equal((status.structuredContent as Json).feedback.images.length, 1);
  });

  Deno.test(`a waited interactive_feedback answered with two images only returns both, in order, after the text (${era})`, async () => {
    await using served = await serveInstance();
    const owner = randomOwner();
    await using mcp = await connectV2Client(served.mcpUrl, await tokenFor(owner), mode);
    await mcp.client.listTools();
    const waiting = mcp.client.callTool({
      name: "interactive_feedback",
      arguments: { message: "Show me what you see", timeout: 600, wait: 30 },
    });
    await untilWaiting(served.instance);
    const [session] = (await served.instance.services.feedback.list(owner)).items;
    const photo = jpegOf(480, 270, { noise: true });
    const sketch = gifOf(64, 48);
    const submitted = await submitViaApi(served.instance, session.id, {
      images: [imageInput(photo, "image/jpeg"), imageInput(sketch, "image/gif")],
    });
    assert.equal(submitted.status, 200, await submitted.clone().text());
    const result = await waiting;
    assert.notEqual(result.isError, true, textOf(result));

    const blocks = blocksOf(result);
    assert.deepEqual(blocks.map((b) => [b.type, b.mimeType]), [
      ["text", undefined],
      ["image", "image/jpeg"],
      ["image", "image/gif"],
    ]);
    assert.match(blocks[0].text!, /\(no text: the answer is the images\)/);
    assert.match(blocks[0].text!, /The user attached 2 images: they follow this text/);
    assert.deepEqual(await decodedSize(Uint8Array.fromBase64(blocks[1].data!), "image/jpeg"), [
      480,
      270,
    ]);
    assert.deepEqual(await decodedSize(Uint8Array.fromBase64(blocks[2].data!), "image/gif"), [
      64,
      48,
    ]);
    const facts = result.structuredContent as Json;
    assert.deepEqual(
      facts.feedback.images.map((i: Json) => [i.id, i.width, i.height]),
      [["a1", 480, 270], ["a2", 64, 48]],
    );
  });

  Deno.test(`bad images in interactive_feedback are refused with the service's code and store nothing (${era})`, async (t) => {
    await using served = await serveInstance({
      env: { FEEDBACK_MAX_IMAGE_BYTES: "60000" },
    });
    const owner = randomOwner();
    await using mcp = await connectV2Client(served.mcpUrl, await tokenFor(owner), mode);
    const good = imageInput(pngOf(40, 30), "image/png");
    const png = pngOf(120, 80);
    const cases: [string, unknown, RegExp][] = [
      [
        "a PNG header on a text file",
        [imageInput(textWithPngHeader(), "image/png")],
        /^UNSUPPORTED_MEDIA_TYPE: images\[0\]\.data: is not a PNG, JPEG, WebP or GIF image/,
      ],
      [
        "an SVG",
        [good, imageInput(svgImage(), "image/svg+xml")],
        /^UNSUPPORTED_MEDIA_TYPE: images\[1\]\.data: /,
      ],
      [
        "a declared type that disagrees with the bytes",
        [imageInput(png, "image/jpeg")],
        /^UNSUPPORTED_MEDIA_TYPE: images\[0\]\.mimeType: says image\/jpeg, but the bytes are image\/png/,
      ],
      [
        "a truncated image",
        [imageInput(png.slice(0, png.length - 30), "image/png")],
        /^Invalid arguments: images\[0\]\.data: is not a whole PNG image/,
      ],
      [
        "a 10,000 × 10,000 pixel bomb",
        [imageInput(pngOf(10_000, 10_000), "image/png")],
        /^PAYLOAD_TOO_LARGE: images\[0\]/,
      ],
      [
        "a JPEG claiming 20,000 × 20,000 pixels",
        [imageInput(jpegClaiming(20_000, 20_000), "image/jpeg")],
        /^PAYLOAD_TOO_LARGE: images\[0\]/,
      ],
      [
        "one image over the byte limit",
        [imageInput(pngOf(50, 50, { bytes: 60_001 }), "image/png")],
        /^PAYLOAD_TOO_LARGE: images\[0\]\.data: is 60001 bytes; at most 60000 bytes are accepted/,
      ],
      ["one image too many", Array(5).fill(good), /^Invalid arguments: images: /],
      [
        "base64 with junk",
        [{ data: `${good.data.slice(0, 20)}!*${good.data.slice(20)}`, mimeType: "image/png" }],
        /^Invalid arguments: images\[0\]\.data: /,
      ],
      [
        "a data: URL instead of base64",
        [{ data: `data:image/png;base64,${good.data}`, mimeType: "image/png" }],
        /^Invalid arguments: images\[0\]\.data: /,
      ],
      // The wrong shape is the SDK's input validation, as for any other argument.
      [
        "data that is not a string",
        [{ data: 5, mimeType: "image/png" }],
        /^Input validation error: /,
      ],
      ["images that are not a list", "a picture", /^Input validation error: /],
    ];
    for (const [what, images, expected] of cases) {
      await t.step(what, async () => {
        const result = await mcp.client.callTool({
          name: "interactive_feedback",
          arguments: { message: "Look at this", images },
        });
        assert.equal(result.isError, true, what);
        assert.match(textOf(result), expected);
        if (!expected.source.includes("Input validation")) {
          assert.match(textOf(result), /Fix them and call again|Nothing was stored/);
        }
      });
    }
    assert.equal((await served.instance.services.feedback.list(owner)).items.length, 0);
    // The refusals held nothing back: the same owner asks with a good image at once.
    const kept = await mcp.client.callTool({
      name: "interactive_feedback",
      arguments: { message: "Now a good one", images: [good] },
    });
    assert.notEqual(kept.isError, true, textOf(kept));
  });
}

Deno.test("the owner's image storage quota refuses a question with QUOTA_EXCEEDED and stores nothing", async () => {
  await using served = await serveInstance({ env: { OWNER_MAX_IMAGE_BYTES: "100000" } });
  const owner = randomOwner();
  await using mcp = await connectV2Client(served.mcpUrl, await tokenFor(owner), "legacy");
  const image = imageInput(pngOf(60, 40, { bytes: 60_000 }), "image/png");
  const first = await mcp.client.callTool({
    name: "interactive_feedback",
    arguments: { message: "First", images: [image] },
  });
  assert.notEqual(first.isError, true, textOf(first));
  const second = await mcp.client.callTool({
    name: "interactive_feedback",
    arguments: { message: "Second", images: [image] },
  });
  assert.equal(second.isError, true);
  assert.match(textOf(second), /^QUOTA_EXCEEDED: .*Nothing was stored/s);
  assert.equal((await served.instance.services.feedback.list(owner)).items.length, 1);
});

Deno.test("with FEEDBACK_MAX_IMAGES=0 the tool says images are off and refuses any", async () => {
  await using served = await serveInstance({ env: { FEEDBACK_MAX_IMAGES: "0" } });
  const owner = randomOwner();
  await using mcp = await connectV2Client(served.mcpUrl, await tokenFor(owner), "legacy");
  const { tools } = await mcp.client.listTools();
  const ask = tools.find((t) => t.name === "interactive_feedback")!;
  assert.match(ask.description ?? "", /Images are turned off on this server/);
  const result = await mcp.client.callTool({
    name: "interactive_feedback",
    arguments: { message: "Look", images: [imageInput(pngOf(10, 10), "image/png")] },
  });
  assert.equal(result.isError, true);
  assert.match(textOf(result), /images/);
  assert.equal((await served.instance.services.feedback.list(owner)).items.length, 0);
});
