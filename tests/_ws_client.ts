/**
 * WebSocket test plumbing: a real server on port 0 for a test instance, and a real `WebSocket`
 * client that queues what it receives so a test can await the next message of a type.
 */
import assert from "node:assert/strict";
import type { TestInstance } from "./_helpers.ts";
import { quietPeriod } from "./_wait.ts";

/** A message as the server sends it. */
export interface WsMessage {
  type: string;
  // deno-lint-ignore no-explicit-any
  data: any;
  timestamp: string;
}

/** A test server: the instance's app on a real socket. */
export interface TestServer extends AsyncDisposable {
  server: Deno.HttpServer<Deno.NetAddr>;
  /** `http://127.0.0.1:PORT` */
  origin: string;
  /** `ws://127.0.0.1:PORT` */
  wsOrigin: string;
}

/** Serves `instance.app` on 127.0.0.1, port 0; dispose to drain and stop it. */
export function serveInstance(instance: TestInstance): TestServer {
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, instance.app.fetch);
  const origin = `http://127.0.0.1:${server.addr.port}`;
  return {
    server,
    origin,
    wsOrigin: origin.replace(/^http/, "ws"),
    async [Symbol.asyncDispose]() {
      await server.shutdown();
    },
  };
}

/** How a socket closed. */
export interface Closed {
  code: number;
  reason: string;
}

/** A real WebSocket client that buffers messages. */
export class TestClient implements AsyncDisposable {
  readonly messages: WsMessage[] = [];
  readonly closed: Promise<Closed>;
  #waiters: (() => void)[] = [];

  private constructor(readonly socket: WebSocket) {
    this.closed = new Promise((resolve) => {
      socket.addEventListener("close", (event) => {
        resolve({ code: event.code, reason: event.reason });
        this.#wake();
      });
    });
    socket.addEventListener("message", (event) => {
      this.messages.push(JSON.parse(event.data));
      this.#wake();
    });
  }

  /** Opens a socket; resolves once open, rejects if the server refuses the upgrade. */
  static open(url: string): Promise<TestClient> {
    const socket = new WebSocket(url);
    const client = new TestClient(socket);
    return new Promise((resolve, reject) => {
      socket.addEventListener("open", () => resolve(client), { once: true });
      socket.addEventListener("error", () => reject(new Error(`upgrade refused: ${url}`)), {
        once: true,
      });
    });
  }

  /** Opens a socket and waits for its `connection_established`. */
  static async connect(url: string): Promise<TestClient> {
    const client = await TestClient.open(url);
    await client.next("connection_established");
    return client;
  }

  /** Removes and returns the first buffered message of `type` (any type when omitted). */
  async next(type?: string, timeoutMs = 3000): Promise<WsMessage> {
    const deadline = Date.now() + timeoutMs;
    while (true) {
      const index = this.messages.findIndex((m) => type === undefined || m.type === type);
      if (index >= 0) return this.messages.splice(index, 1)[0];
      const left = deadline - Date.now();
      if (left <= 0 || this.socket.readyState === WebSocket.CLOSED) {
        throw new Error(
          `no ${type ?? "message"} within ${timeoutMs} ms; got ${
            JSON.stringify(this.messages.map((m) => m.type))
          }`,
        );
      }
      await this.#sleepUntilWoken(left);
    }
  }

  /**
   * Asserts that no message of `type` is buffered or arrives within `ms`: a deliberate quiet
   * period, for "no duplicate" and "no transition", which no condition can show.
   */
  async expectNone(type: string, ms: number): Promise<void> {
    await quietPeriod(ms);
    const arrived = this.messages.filter((m) => m.type === type);
    assert.deepEqual(arrived, [], `no ${type} within ${ms} ms`);
  }

  /** Sends a JSON value (or raw text / bytes). */
  send(value: unknown): void {
    this.socket.send(
      typeof value === "string" || value instanceof Uint8Array ? value : JSON.stringify(value),
    );
  }

  /** Closes from the client side and waits until the socket is closed. */
  async close(): Promise<Closed> {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.close(1000, "bye");
    return await this.closed;
  }

  async [Symbol.asyncDispose]() {
    await this.close();
  }

  #wake() {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  #sleepUntilWoken(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#waiters = this.#waiters.filter((w) => w !== done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#waiters.push(done);
    });
  }
}
