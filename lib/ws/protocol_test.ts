/**
 * The pure protocol module: inbound parsing and outbound message shapes, and the messages an
 * owner event stands for (`ownerEventMessages`, the pure part of owner_stream.ts).
 */
import assert from "node:assert/strict";
import type { FeedbackSession, SessionStatus } from "../feedback/model.ts";
import type { OwnerEvent } from "../feedback/store.ts";
import { ownerEventMessages } from "./owner_stream.ts";
import {
  MAX_INBOUND_BYTES,
  parseInbound,
  previewOf,
  sessionCreated,
  transitionMessages,
} from "./protocol.ts";

const NOW = Date.parse("2026-01-01T00:00:10.000Z");

function session(overrides: Partial<FeedbackSession> = {}): FeedbackSession {
  return {
    id: "6f1c1f5e-1d2b-4c3a-9b8a-7e6d5c4b3a21",
    owner: "alice",
    title: "T",
    message: "M",
    predefinedOptions: ["A"],
    multiSelect: true,
    allowFreeText: true,
    metadata: null,
    status: "pending",
    createdAt: NOW - 10_000,
    expiresAt: NOW + 50_000,
    purgeAt: NOW + 100_000,
    ...overrides,
  };
}

Deno.test("parseInbound() accepts ping with or without data and ignores unknown fields", () => {
  assert.deepEqual(parseInbound('{"type":"ping"}'), { ok: true, message: { type: "ping" } });
  const withData = parseInbound('{"type":"ping","data":{"t":1},"timestamp":"x","extra":true}');
  assert.deepEqual(withData, { ok: true, message: { type: "ping", data: { t: 1 } } });
});

Deno.test("parseInbound() validates app_register data and names the field", () => {
  const good = parseInbound(JSON.stringify({
    type: "app_register",
    data: { deviceId: "d", platform: "android", appVersion: "1" },
  }));
  assert.equal(good.ok, true);
  const bad = parseInbound(JSON.stringify({
    type: "app_register",
    data: { deviceId: "d", platform: "", appVersion: "1" },
  }));
  assert.equal(bad.ok, false);
  assert.match(!bad.ok ? bad.error.message : "", /data\.platform/);
});

Deno.test("parseInbound() rejects non-JSON, non-objects, unknown types and binary frames", () => {
  for (const frame of ["{", "42", "null", '"ping"', '{"type":7}', '{"type":"subscribe"}']) {
    const result = parseInbound(frame);
    assert.equal(result.ok, false, frame);
    assert.equal(!result.ok && result.error.code, "INVALID_REQUEST", frame);
  }
  const binary = parseInbound(new ArrayBuffer(4));
  assert.equal(!binary.ok && binary.error.code, "INVALID_REQUEST");
});

Deno.test("parseInbound() counts the 16 KiB limit in UTF-8 bytes", () => {
  const fits = JSON.stringify({ type: "ping", data: "a".repeat(MAX_INBOUND_BYTES - 30) });
  assert.equal(parseInbound(fits).ok, true);
  const ascii = JSON.stringify({ type: "ping", data: "a".repeat(MAX_INBOUND_BYTES) });
  const multibyte = JSON.stringify({ type: "ping", data: "€".repeat(6000) }); // 18 000 bytes
  for (const frame of [ascii, multibyte]) {
    const result = parseInbound(frame);
    assert.equal(!result.ok && result.error.code, "PAYLOAD_TOO_LARGE");
  }
});

Deno.test("transitionMessages() announces an answer with a 100-character preview", () => {
  const answered = session({
    status: "completed",
    submittedAt: NOW - 1000,
    feedback: {
      selectedOptions: ["A"],
      freeText: "😀".repeat(120),
      combinedFeedback: `A\n\n${"😀".repeat(120)}`,
      metadata: null,
    },
  });
  const [submitted, changed] = transitionMessages({ session: answered, oldStatus: "pending" }, NOW);
  assert.equal(submitted.type, "feedback_submitted");
  const preview = (submitted.data as { preview: string }).preview;
  assert.equal([...preview].length, 100, "100 code points, no emoji cut in half");
  assert.equal(submitted.timestamp, new Date(NOW).toISOString());
  assert.deepEqual(changed, {
    type: "session_status_changed",
    data: {
      sessionId: answered.id,
      oldStatus: "pending",
      newStatus: "completed",
      timestamp: new Date(NOW - 1000).toISOString(),
    },
    timestamp: new Date(NOW).toISOString(),
  });
});

Deno.test("transitionMessages() announces expiry with reason timeout at expiresAt", () => {
  const expired = session({ status: "expired", expiredAt: NOW - 5, expiresAt: NOW - 5 });
  const [first, second] = transitionMessages({ session: expired, oldStatus: "pending" }, NOW);
  assert.deepEqual(first.data, {
    sessionId: expired.id,
    reason: "timeout",
    timestamp: new Date(NOW - 5).toISOString(),
  });
  assert.equal(first.type, "session_expired");
  assert.equal(second.type, "session_status_changed");
});

Deno.test("transitionMessages() says nothing for no change or a stale pending value", () => {
  const from = (oldStatus: SessionStatus, current = session()) =>
    transitionMessages({ session: current, oldStatus }, NOW);
  assert.deepEqual(from("pending"), []);
  assert.deepEqual(from("completed"), []);
  assert.deepEqual(from("expired", session({ status: "cancelled" })), []);
  const cancelled = from("pending", session({ status: "cancelled", cancelledAt: NOW }));
  assert.deepEqual(cancelled.map((m) => m.type), ["session_status_changed"]);
});

Deno.test("sessionCreated() carries the public feedback URL", () => {
  const message = sessionCreated({ session: session(), publicBaseUrl: "https://fb.example" }, NOW);
  assert.deepEqual(message.data, {
    sessionId: session().id,
    title: "T",
    expiresAt: new Date(NOW + 50_000).toISOString(),
    feedbackUrl: `https://fb.example/feedback/${session().id}`,
  });
});

Deno.test("ownerEventMessages() describes the recorded transition even if the record moved on", () => {
  const event: OwnerEvent = {
    id: "x",
    sessionId: session().id,
    kind: "status_changed",
    oldStatus: "pending",
    newStatus: "cancelled",
    at: NOW - 100,
  };
  const messages = ownerEventMessages(event, {
    session: session({ status: "cancelled" }),
    publicBaseUrl: "https://x",
    now: NOW,
  });
  assert.deepEqual(messages.map((m) => m.type), ["session_status_changed"]);
  assert.equal(
    (messages[0].data as { timestamp: string }).timestamp,
    new Date(NOW - 100).toISOString(),
  );
  // A kind this version no longer writes (an earlier one logged views) is still ignored.
  const legacy = { ...event, kind: "viewed" } as unknown as OwnerEvent;
  assert.deepEqual(
    ownerEventMessages(legacy, { session: session(), publicBaseUrl: "https://x", now: NOW }),
    [],
  );
  assert.equal(previewOf("short"), "short");
});
