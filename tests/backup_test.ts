/**
 * `deno task backup` as an operator runs it: a separate process copying the KV file of a service
 * that keeps writing. The copy must hold every session acknowledged before the backup started,
 * and every session in it must be whole (its indexes written in the same commit are there too).
 */
import assert from "node:assert/strict";
import { ownerIndexPrefix, sessionPrefix } from "../lib/feedback/store.ts";
import { createSessionViaApi, createTestInstance, randomOwner, tokenFor } from "./_helpers.ts";

const ROOT = new URL("..", import.meta.url).pathname;

/** Runs `deno task backup` with `env` and `args`; returns its exit code and output. */
async function backupTask(env: Record<string, string>, ...args: string[]) {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["task", "-q", "backup", ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes).trim();
  return { code, stdout: decode(stdout), stderr: decode(stderr) };
}

Deno.test("deno task backup copies the KV file whole while sessions are being written", async () => {
  const dir = await Deno.makeTempDir();
  const kvPath = `${dir}/feedback.kv`;
  const copyPath = `${dir}/backups/copy.kv`;
  await Deno.mkdir(`${dir}/backups`, { mode: 0o700 });
  await using instance = await createTestInstance({ kvPath });
  const owner = randomOwner();
  const token = await tokenFor(owner);

  const acknowledged: string[] = [];
  for (let i = 0; i < 50; i++) {
    acknowledged.push((await createSessionViaApi(instance, token)).sessionId);
  }

  // The writer keeps creating sessions until the backup process has exited.
  let backupRunning = true;
  let writtenDuringBackup = 0;
  const writer = (async () => {
    while (backupRunning) {
      const { sessionId } = await createSessionViaApi(instance, token);
      acknowledged.push(sessionId);
      writtenDuringBackup++;
    }
  })();
  await Promise.resolve();
  const acknowledgedBefore = [...acknowledged];
  writtenDuringBackup = 0;
  const result = await backupTask({ KV_PATH: kvPath }, copyPath);
  backupRunning = false;
  await writer;

  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^backed up .*copy\.kv: \d+ entries/);
  assert.ok(writtenDuringBackup > 0, "the service wrote while the backup ran");
  assert.equal((await Deno.stat(copyPath)).mode! & 0o777, 0o600);
  const leftovers = [...Deno.readDirSync(`${dir}/backups`)].map((entry) => entry.name);
  assert.deepEqual(leftovers, ["copy.kv"]);

  const copy = await Deno.openKv(copyPath);
  try {
    const sessions = new Set<string>();
    for await (const entry of copy.list<{ id: string }>({ prefix: sessionPrefix })) {
      sessions.add(entry.value.id);
    }
    const indexed = new Set<string>();
    for await (const entry of copy.list<string>({ prefix: ownerIndexPrefix(owner) })) {
      indexed.add(entry.value);
    }
    for (const id of acknowledgedBefore) {
      assert.ok(sessions.has(id), "a session acknowledged before");
    }
    // One snapshot: a session and its owner index are in the same commit, so both or neither.
    assert.deepEqual([...indexed].sort(), [...sessions].sort());
    assert.ok(sessions.size <= acknowledged.length);
  } finally {
    copy.close();
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("deno task backup into a directory names the copy by time", async () => {
  const dir = await Deno.makeTempDir();
  const kvPath = `${dir}/feedback.kv`;
  {
    await using instance = await createTestInstance({ kvPath });
    await createSessionViaApi(instance, await tokenFor(randomOwner()));
  }
  const result = await backupTask({ KV_PATH: kvPath }, `${dir}/`);
  assert.equal(result.code, 0, result.stderr);
  const names = [...Deno.readDirSync(dir)].map((entry) => entry.name).filter((name) =>
    name !== "feedback.kv" && !name.startsWith("feedback.kv-")
  );
  assert.equal(names.length, 1);
  assert.match(names[0], /^feedback-\d{8}T\d{6}Z\.kv$/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("deno task backup refuses what is not a local KV file, in one line", async (t) => {
  for (
    const [name, env, expected] of [
      [":memory:", { KV_PATH: ":memory:" }, /^KV_PATH: :memory: is not a local file/],
      ["a KV Connect URL", { KV_PATH: "https://kv.example.com" }, /^KV_PATH: a KV Connect URL/],
      ["a missing file", { KV_PATH: "/nonexistent/feedback.kv" }, /^no KV file at /],
    ] as const
  ) {
    await t.step(name, async () => {
      const result = await backupTask(env, "/tmp/never-written.kv");
      assert.equal(result.code, 1);
      assert.match(result.stderr, expected);
      assert.equal(result.stderr.split("\n").length, 1);
    });
  }
});
