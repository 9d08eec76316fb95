/**
 * `kill -9` under load: the real service (`main.ts`) runs as a subprocess on a KV file, answers
 * are submitted concurrently over real HTTP, and the process is killed with SIGKILL while submits
 * are still in flight. Restarted on the same file, the service must hold every answer it
 * acknowledged with a 200, each exactly as sent, and no answer that was never sent.
 */
import assert from "node:assert/strict";
import { sessionPrefix } from "../lib/feedback/store.ts";
import { authHeaders, randomOwner, TEST_SECRET, tokenFor } from "./_helpers.ts";

const ROOT = new URL("../", import.meta.url);
const SESSIONS = 200;
/** SIGKILL once this many submits have been acknowledged, while the others are in flight. */
const KILL_AFTER = 50;

/** A running `main.ts` and what it printed. */
interface Service {
  child: Deno.ChildProcess;
  origin: string;
  /** Resolves when the process has exited. */
  exited: Promise<Deno.CommandStatus>;
}

/** Reads a stream to its end as lines, calling `onLine` for each. */
async function readLines(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void) {
  const decoder = new TextDecoder();
  let rest = "";
  for await (const chunk of stream) {
    const lines = (rest + decoder.decode(chunk, { stream: true })).split("\n");
    rest = lines.pop()!;
    lines.forEach(onLine);
  }
  if (rest) onLine(rest);
}

/** Starts `deno run -A main.ts` on `kvPath`, port 0, and resolves once it is listening. */
async function startService(kvPath: string): Promise<Service> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts"],
    cwd: ROOT,
    env: {
      JWT_SECRET: TEST_SECRET,
      KV_PATH: kvPath,
      PORT: "0",
      HOSTNAME: "127.0.0.1",
      // `info` for the "listening" line that carries the port; the rest is drained unread.
      LOG_LEVEL: "info",
      RATE_LIMIT_CREATE: "0",
      RATE_LIMIT_READ: "0",
      RATE_LIMIT_SUBMIT: "0",
      RATE_LIMIT_PAGE: "0",
      OWNER_MAX_PENDING: "0",
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const errors: string[] = [];
  const listening = Promise.withResolvers<number>();
  // Both pipes are read to their end, so the child never blocks on a full pipe.
  readLines(child.stdout, (line) => {
    if (!line.includes('"listening"')) return;
    const port = JSON.parse(line).port;
    if (typeof port === "number") listening.resolve(port);
  }).catch(() => {});
  readLines(child.stderr, (line) => errors.push(line)).catch(() => {});
  const exited = child.status;
  exited.then((status) =>
    listening.reject(new Error(`main.ts exited (${status.code}): ${errors.join("\n")}`))
  );
  const timer = setTimeout(
    () => listening.reject(new Error("main.ts did not listen within 30 s")),
    30_000,
  );
  try {
    const port = await listening.promise;
    return { child, origin: `http://127.0.0.1:${port}`, exited };
  } catch (error) {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
    await exited;
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** Runs `task` over `items` with at most `width` at a time. */
async function inParallel<T, R>(items: T[], width: number, task: (item: T) => Promise<R>) {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await task(items[i]);
    }
  }));
  return out;
}

Deno.test("after kill -9 under load, every acknowledged answer is stored as sent, and no other", async () => {
  const dir = await Deno.makeTempDir({ prefix: "crash-" });
  const kvPath = `${dir}/feedback.kv`;
  const owner = randomOwner();
  const token = await tokenFor(owner);
  const first = await startService(kvPath);
  let killed = false;
  try {
    const ids = await inParallel(Array.from({ length: SESSIONS }, (_, i) => i), 20, async (i) => {
      const res = await fetch(`${first.origin}/api/feedback/create`, {
        method: "POST",
        headers: authHeaders(token),
        body: JSON.stringify({ message: `Question ${i}?`, predefinedOptions: ["A", "B", "C"] }),
      });
      assert.equal(res.status, 200);
      return (await res.json()).data.sessionId as string;
    });

    // One distinct answer per session, so a stored answer names the session it was sent to.
    const sent = new Map(ids.map((id, i) => [id, {
      selectedOptions: [["A", "B", "C"][i % 3]],
      freeText: `answer ${i} for ${id} / ${crypto.randomUUID()}`,
    }]));
    const acknowledged = new Set<string>();
    const refused: string[] = [];
    let unanswered = 0;
    const submits = ids.map(async (id) => {
      try {
        const res = await fetch(`${first.origin}/api/feedback/${id}/submit`, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify(sent.get(id)),
        });
        // The status line is the acknowledgement: a 200 is sent only after the commit.
        if (res.status === 200) acknowledged.add(id);
        else refused.push(`${id}: ${res.status}`);
        if (acknowledged.size >= KILL_AFTER && !killed) {
          killed = true;
          first.child.kill("SIGKILL");
        }
        await res.body?.cancel().catch(() => {});
      } catch {
        // No answer reached the client: the answer may or may not have been committed, and the
        // client cannot know. Either outcome is correct; a retry would tell (200 or 409).
        unanswered++;
      }
    });
    await Promise.all(submits);
    const status = await first.exited;
    assert.ok(killed, "the process was killed");
    assert.equal(status.signal, "SIGKILL");
    assert.deepEqual(refused, [], "no submit was refused before the kill");
    assert.ok(unanswered > 0, "some submits were still in flight when the process died");

    // Restarted on the same file, the service answers for every session.
    const second = await startService(kvPath);
    try {
      await inParallel(ids, 20, async (id) => {
        const res = await fetch(`${second.origin}/api/feedback/${id}/result`, {
          headers: authHeaders(token),
        });
        const body = await res.json();
        if (acknowledged.has(id)) {
          assert.equal(res.status, 200, `acknowledged answer of ${id} is missing`);
        }
        if (res.status === 200) {
          assert.deepEqual(body.data.feedback.selectedOptions, sent.get(id)!.selectedOptions);
          assert.equal(body.data.feedback.freeText, sent.get(id)!.freeText);
          // Stored without a 200 is possible: the commit landed, the response did not.
        } else {
          assert.equal(res.status, 404);
          assert.equal(
            body.error.details.status,
            "pending",
            `${id} is neither answered nor pending`,
          );
        }
      });
    } finally {
      second.child.kill("SIGTERM");
      await second.exited;
    }

    // The file itself, read directly: only our sessions, and every stored answer is the one
    // sent to that session.
    using kv = await Deno.openKv(kvPath);
    let sessions = 0;
    for await (const entry of kv.list<Record<string, unknown>>({ prefix: sessionPrefix })) {
      const session = entry.value;
      sessions++;
      const id = String(session.id);
      assert.ok(sent.has(id), `a session nobody created: ${id}`);
      if (session.status === "completed") {
        const feedback = session.feedback as { freeText: string; selectedOptions: string[] };
        assert.equal(feedback.freeText, sent.get(id)!.freeText);
        assert.deepEqual(feedback.selectedOptions, sent.get(id)!.selectedOptions);
      } else {
        assert.equal(session.status, "pending");
        assert.ok(!acknowledged.has(id));
      }
    }
    assert.equal(sessions, SESSIONS);
  } finally {
    if (!killed) {
      try {
        first.child.kill("SIGKILL");
      } catch { /* already gone */ }
    }
    await first.exited;
    await Deno.remove(dir, { recursive: true });
  }
});
