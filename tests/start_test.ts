/**
 * `deno task start` as an operator runs it: any writable KV_PATH works (write access is granted to
 * exactly its directory), and every configuration problem is one line naming the variable.
 */
import assert from "node:assert/strict";
import { TEST_SECRET } from "./_helpers.ts";

const ROOT = new URL("..", import.meta.url).pathname;

function startTask(env: Record<string, string>) {
  return new Deno.Command(Deno.execPath(), {
    args: ["task", "start"],
    cwd: ROOT,
    env: { JWT_SECRET: TEST_SECRET, PORT: "0", NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  });
}

/** The lines a failed start printed, without deno task's own "Task …" echo lines. */
async function failedStart(env: Record<string, string>): Promise<string[]> {
  const { code, stdout, stderr } = await startTask(env).output();
  assert.equal(code, 1);
  const text = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
  return text.split("\n").filter((line) => line && !/^Task |^islands built/.test(line));
}

Deno.test("deno task start serves with a KV file outside ./data and stops on SIGTERM", async () => {
  const dir = await Deno.makeTempDir();
  const kvPath = `${dir}/var/lib/feedback/feedback.kv`;
  const child = startTask({ KV_PATH: kvPath }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let port = 0;
  let seen = "";
  while (!port) {
    const { value, done } = await lines.read();
    assert.ok(!done, `the service stopped before listening:\n${seen}`);
    seen += value;
    port = Number(/"message":"listening".*?"port":(\d+)/.exec(seen)?.[1] ?? 0);
  }
  try {
    const res = await fetch(`http://127.0.0.1:${port}/health`);
    assert.equal(res.status, 200);
    assert.equal((await res.json()).data.storage, "ok");
    assert.ok((await Deno.stat(kvPath)).isFile);
  } finally {
    child.kill("SIGTERM");
    const status = await child.status;
    lines.releaseLock();
    await child.stdout.cancel().catch(() => {});
    await child.stderr.cancel();
    assert.equal(status.code, 0);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a KV_PATH that cannot be opened is one line naming KV_PATH, not a stack trace", async () => {
  const file = await Deno.makeTempFile();
  try {
    const lines = await failedStart({ KV_PATH: `${file}/feedback.kv` });
    assert.equal(lines.length, 1, lines.join("\n"));
    assert.match(lines[0], /^KV_PATH: cannot open /);
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("a port in use and a bad variable are one line each, naming the variable", async () => {
  const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const lines = await failedStart({ PORT: String(busy.addr.port), KV_PATH: ":memory:" });
    assert.equal(lines.length, 1, lines.join("\n"));
    assert.match(lines[0], /^PORT: 127\.0\.0\.1:\d+ is already in use/);
  } finally {
    busy.close();
  }
  const bad = await failedStart({ RATE_LIMIT_READ: "lots", KV_PATH: ":memory:" });
  assert.ok(bad.some((line) => /^\s*RATE_LIMIT_READ: /.test(line)), bad.join("\n"));
  assert.ok(!bad.some((line) => /^\s+at /.test(line)), "no stack trace");
});
