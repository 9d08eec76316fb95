/**
 * A real HTTP receiver on 127.0.0.1 for notification tests: records every request and answers as
 * the test says (a status, a redirect, an endless body, or never).
 */

/** One request the receiver got. */
export interface Received {
  path: string;
  headers: Record<string, string>;
  body: string;
  /** The body parsed as JSON (null if it is not JSON). */
  // deno-lint-ignore no-explicit-any
  json: any;
}

/** How to answer the n-th request (0-based). */
export type Behaviour = (request: Received, index: number) =>
  | number
  | { status: number; location?: string }
  | "hang"
  | "endless";

/** A running receiver; dispose it to stop it (hanging requests are released first). */
export interface Receiver extends AsyncDisposable {
  url: string;
  port: number;
  received: Received[];
  /** Requests answered so far (a hanging one is not). */
  answered: number;
  behaviour: Behaviour;
}

/** Starts a receiver that answers 200 unless `behaviour` says otherwise. */
export function startReceiver(behaviour: Behaviour = () => 200): Receiver {
  const releases: (() => void)[] = [];
  const state = { answered: 0 };
  const receiver = {
    received: [] as Received[],
    behaviour,
  } as Receiver;
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, async (req) => {
    const body = await req.text();
    let json = null;
    try {
      json = JSON.parse(body);
    } catch { /* not JSON */ }
    const record: Received = {
      path: new URL(req.url).pathname,
      headers: Object.fromEntries(req.headers),
      body,
      json,
    };
    const index = receiver.received.push(record) - 1;
    const answer = receiver.behaviour(record, index);
    if (answer === "hang") {
      await new Promise<void>((resolve) => releases.push(resolve));
      return new Response("late", { status: 200 });
    }
    state.answered++;
    if (answer === "endless") {
      const chunk = new Uint8Array(64 * 1024);
      return new Response(
        new ReadableStream({ pull: (controller) => controller.enqueue(chunk) }),
        { status: 200 },
      );
    }
    const { status, location } = typeof answer === "number" ? { status: answer } : answer;
    return new Response(status >= 300 && status < 400 ? null : "ok", {
      status,
      headers: location ? { location } : {},
    });
  });
  Object.defineProperty(receiver, "answered", { get: () => state.answered });
  receiver.port = server.addr.port;
  receiver.url = `http://127.0.0.1:${server.addr.port}`;
  receiver[Symbol.asyncDispose] = async () => {
    for (const release of releases) release();
    await server.shutdown();
  };
  return receiver;
}
