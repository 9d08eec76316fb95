/**
 * What one large inbound WebSocket message costs the server before the service's own 16 KiB check
 * can refuse it. Deno (2.9) offers no limit to set: its WebSocket reader (fastwebsockets 0.8)
 * refuses a single frame only from 64 MiB up, buffers every smaller frame whole, and joins the
 * frames of a fragmented message with no limit at all. Each case runs against a fresh server in a
 * child process (this file with `--serve`), so the RSS read from `/proc/<pid>/status` is the
 * server's alone: before, the peak while the message arrives (`VmHWM`, reset first through
 * `/proc/<pid>/clear_refs`) and one second after. The client is a raw socket that writes frames
 * from one reused buffer (with an all-zero mask, which leaves the bytes as they are), so only the
 * server pays for the size.
 *
 * Run: `deno task bench ws_frame` (SOCKETS=4 sockets per case; FRAGMENTED_MIB=256 the sizes of
 * the fragmented cases, comma-separated, 0 for none: 640 shows the process exit of a text message
 * longer than V8's longest string). Linux only (`/proc`); loopback only.
 */
import { openChildInstance, peakRssMb, rssMb, serveChild, spawnChildServer } from "./_server.ts";

const KIB = 1024;
const MIB = 1024 * KIB;
/** The largest frame fastwebsockets 0.8 accepts is one byte below this. */
const FRAME_CAP = 64 * MIB;
const CHUNK = new Uint8Array(MIB).fill(0x61); // "a"
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The child: an instance on in-memory KV with `sessions` sessions. */
async function serve(sessions: number) {
  serveChild(await openChildInstance({ sessions, message: "frames" }));
}

/** One case: `sockets` sockets each send one message of `bytes`, in frames of `frameBytes`. */
interface Case {
  label: string;
  bytes: number;
  frameBytes: number;
  sockets: number;
}

async function measure() {
  const sockets = Number(Deno.env.get("SOCKETS") ?? 4);
  const fragmented = (Deno.env.get("FRAGMENTED_MIB") ?? "256").split(",").map(Number)
    .filter((mib) => mib > 0);
  const cases: Case[] = [
    { label: "16 KiB (the allowed maximum)", bytes: 16 * KIB, frameBytes: 16 * KIB, sockets },
    { label: "1 MiB", bytes: MIB, frameBytes: MIB, sockets },
    { label: "16 MiB", bytes: 16 * MIB, frameBytes: 16 * MIB, sockets },
    {
      label: "64 MiB - 1 B (largest frame)",
      bytes: FRAME_CAP - 1,
      frameBytes: FRAME_CAP - 1,
      sockets,
    },
    { label: "64 MiB (refused by Deno)", bytes: FRAME_CAP, frameBytes: FRAME_CAP, sockets },
  ];
  for (const mib of fragmented) {
    cases.push({
      label: `${mib} MiB in 16 MiB fragments`,
      bytes: mib * MIB,
      frameBytes: 16 * MIB,
      sockets: 1,
    });
  }
  console.log("one large inbound message per socket; server RSS in MB (fresh server per case)");
  for (const c of cases) await runCase(c);
}

async function runCase(c: Case) {
  const { child, port, ids } = await spawnChildServer(import.meta.url, { sessions: c.sockets });
  let exit: Deno.CommandStatus | undefined;
  const exited = child.status.then((status) => exit = status);
  let sampler: ReturnType<typeof setInterval> | undefined;
  try {
    const clients = await Promise.all(ids.map((id) => RawClient.open(port, `/ws/${id}`)));
    await Promise.all(clients.map((client) => client.nextText()));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const before = rssMb(child.pid);
    resetPeak(child.pid);
    // Sampled as well as read at the end, so a server that dies on the way still has a figure.
    let peak = before;
    sampler = setInterval(() => {
      if (!exit) peak = Math.max(peak, peakRssMb(child.pid));
    }, 100);
    const t0 = performance.now();
    const outcomes = await Promise.all(clients.map(async (client) => {
      const sent = await client.sendMessage(c.bytes, c.frameBytes).then(() => "", (e) => e.name);
      return `${await client.outcome(120_000)}${sent ? ` (client write: ${sent})` : ""}`;
    }));
    const ms = performance.now() - t0;
    if (!exit) peak = Math.max(peak, peakRssMb(child.pid));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const after = exit ? `the server exited (code ${exit.code})` : `${rssMb(child.pid).toFixed(0)}`;
    clients.forEach((client) => client.close());
    const seen = [...new Set(outcomes)].join("; ");
    console.log(
      `${c.label.padEnd(32)} × ${c.sockets}: RSS ${before.toFixed(0)} → peak ${peak.toFixed(0)} (+${
        (peak - before).toFixed(0)
      }) → ${after} after 1 s; ${ms.toFixed(0)} ms; client saw: ${seen}`,
    );
  } finally {
    clearInterval(sampler);
    try {
      child.kill("SIGKILL");
    } catch { /* it exited on its own */ }
    await exited;
  }
}

/** Resets the process's peak RSS (`VmHWM`) to its current RSS (Linux 4.0+). */
function resetPeak(pid: number): void {
  Deno.writeTextFileSync(`/proc/${pid}/clear_refs`, "5");
}

/**
 * A minimal WebSocket client on a TCP socket: it can send frames of any size and fragmented
 * messages (a browser's `WebSocket` can do neither on purpose), and reports what came back.
 */
class RawClient {
  #buffer = new Uint8Array(0);
  #texts: string[] = [];
  #closeCode: number | undefined;
  #ended = false;
  #wake: (() => void) | undefined;

  private constructor(private readonly conn: Deno.TcpConn) {}

  static async open(port: number, path: string): Promise<RawClient> {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    const key = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
    await writeAll(
      conn,
      encoder.encode(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\n` +
          `Connection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      ),
    );
    const client = new RawClient(conn);
    let head = "";
    while (!head.includes("\r\n\r\n")) {
      const chunk = new Uint8Array(4096);
      const n = await conn.read(chunk);
      if (n === null) throw new Error("closed during the handshake");
      client.#append(chunk.subarray(0, n));
      head = decoder.decode(client.#buffer);
    }
    if (!head.startsWith("HTTP/1.1 101")) throw new Error(head.split("\r\n")[0]);
    const end = client.#buffer.indexOf(10, head.indexOf("\r\n\r\n") + 3) + 1;
    client.#buffer = client.#buffer.slice(end);
    client.#read();
    return client;
  }

  /**
   * Sends one text message of exactly `bytes` bytes: `{"type":"ping","data":"aaa…"}` (valid JSON,
   * so a message within the limit is answered with `pong`), in frames of at most `frameBytes`.
   */
  async sendMessage(bytes: number, frameBytes: number): Promise<void> {
    const prefix = encoder.encode('{"type":"ping","data":"');
    const suffix = encoder.encode('"}');
    let fill = bytes - prefix.length - suffix.length;
    let sent = 0;
    let first = true;
    while (sent < bytes) {
      const size = Math.min(frameBytes, bytes - sent);
      const fin = sent + size === bytes;
      await writeAll(this.conn, frameHeader(first ? 0x1 : 0x0, fin, size));
      first = false;
      let left = size;
      if (sent === 0) {
        await writeAll(this.conn, prefix);
        left -= prefix.length;
      }
      const tail = fin ? suffix.length : 0;
      while (left > tail) {
        const n = Math.min(CHUNK.length, left - tail, fill);
        await writeAll(this.conn, CHUNK.subarray(0, n));
        left -= n;
        fill -= n;
      }
      if (fin) await writeAll(this.conn, suffix);
      sent += size;
    }
  }

  /** What the server did: the first message type it answered with, then how it closed. */
  async outcome(timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (!this.#ended && this.#texts.length === 0 && Date.now() < deadline) await this.#sleep();
    const first = this.#texts.shift();
    const type = first ? JSON.parse(first) : undefined;
    const said = type ? `${type.type}${type.data?.code ? ` ${type.data.code}` : ""}` : "";
    if (type?.type === "pong") return said;
    while (!this.#ended && Date.now() < deadline) await this.#sleep();
    const close = this.#ended ? `close ${this.#closeCode ?? "1006 (no close frame)"}` : "no answer";
    return said ? `${said}, ${close}` : close;
  }

  /** The next text message (used for `connection_established`). */
  async nextText(): Promise<string> {
    while (this.#texts.length === 0) {
      if (this.#ended) throw new Error("closed before a message");
      await this.#sleep();
    }
    return this.#texts.shift()!;
  }

  close(): void {
    try {
      this.conn.close();
    } catch { /* already closed */ }
  }

  #sleep(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, 50);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  #append(bytes: Uint8Array): void {
    const next = new Uint8Array(this.#buffer.length + bytes.length);
    next.set(this.#buffer);
    next.set(bytes, this.#buffer.length);
    this.#buffer = next;
  }

  /** Reads server frames (small, unmasked) until the connection ends. */
  async #read(): Promise<void> {
    const chunk = new Uint8Array(64 * KIB);
    try {
      while (true) {
        this.#parse();
        const n = await this.conn.read(chunk);
        if (n === null) break;
        this.#append(chunk.subarray(0, n));
      }
    } catch {
      // Reset by the server: the end of the connection all the same.
    }
    this.#ended = true;
    this.#wake?.();
  }

  #parse(): void {
    while (this.#buffer.length >= 2) {
      const opcode = this.#buffer[0] & 0x0f;
      let length = this.#buffer[1] & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (this.#buffer.length < 4) return;
        length = (this.#buffer[2] << 8) | this.#buffer[3];
        offset = 4;
      } else if (length === 127) {
        if (this.#buffer.length < 10) return;
        length = Number(
          new DataView(this.#buffer.buffer, this.#buffer.byteOffset + 2).getBigUint64(0),
        );
        offset = 10;
      }
      if (this.#buffer.length < offset + length) return;
      const payload = this.#buffer.slice(offset, offset + length);
      this.#buffer = this.#buffer.slice(offset + length);
      if (opcode === 0x1) this.#texts.push(decoder.decode(payload));
      if (opcode === 0x8) {
        this.#closeCode = payload.length >= 2 ? (payload[0] << 8) | payload[1] : 1005;
        // Answer the close (empty payload); the server then ends the connection.
        writeAll(this.conn, frameHeader(0x8, true, 0)).catch(() => {});
      }
      this.#wake?.();
    }
  }
}

/** A client frame header with an all-zero mask (so the payload goes out unchanged). */
function frameHeader(opcode: number, fin: boolean, length: number): Uint8Array {
  const extended = length < 126 ? 0 : length < 65536 ? 2 : 8;
  const header = new Uint8Array(2 + extended + 4);
  header[0] = (fin ? 0x80 : 0) | opcode;
  const view = new DataView(header.buffer);
  if (extended === 0) header[1] = 0x80 | length;
  else if (extended === 2) {
    header[1] = 0x80 | 126;
    view.setUint16(2, length);
  } else {
    header[1] = 0x80 | 127;
    view.setBigUint64(2, BigInt(length));
  }
  return header; // the 4 mask bytes stay 0
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) written += await conn.write(bytes.subarray(written));
}

// Last, so that the classes above are initialized before any of them is used.
if (Deno.args[0] === "--serve") {
  await serve(Number(Deno.args[1]));
} else {
  await measure();
}
