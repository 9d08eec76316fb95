import assert from "node:assert/strict";
import { createTestInstance } from "./_helpers.ts";

/**
 * Sends two requests on one TCP connection and returns every byte the server sends back before
 * it closes the connection or goes quiet for `quietMs`.
 */
async function exchange(port: number, requests: string, quietMs = 2000): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(new TextEncoder().encode(requests));
  const decoder = new TextDecoder();
  let text = "";
  const buffer = new Uint8Array(64 * 1024);
  try {
    while (true) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const quiet = new Promise<null>((resolve) =>
        timer = setTimeout(() => resolve(null), quietMs)
      );
      const read = await Promise.race([conn.read(buffer), quiet]);
      clearTimeout(timer);
      if (read === null) break;
      text += decoder.decode(buffer.subarray(0, read));
      if ((text.match(/HTTP\/1\.1 /g) ?? []).length >= 2 && text.endsWith("}")) break;
    }
  } finally {
    conn.close();
  }
  return text;
}

Deno.test("a POST refused before its body is read keeps the connection open for the next request", async () => {
  await using instance = await createTestInstance();
  await using server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen() {} },
    instance.app.fetch,
  );
  // A realistic create body (8 KiB) without a token: refused with 401 before anything reads it.
  const body = JSON.stringify({ message: "x".repeat(8 * 1024) });
  const refused = `POST /api/feedback/create HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
    `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
  const health = `GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`;
  const text = await exchange(server.addr.port, refused + health);
  const statuses = [...text.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((match) => match[1]);
  assert.deepEqual(statuses, ["401", "200"], text.slice(0, 500));
});
