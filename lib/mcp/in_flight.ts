/**
 * The MCP requests one instance is answering, counted until their response stream has been sent
 * (or its reader went away), so a shutdown can let the calls whose waits it just ended deliver
 * their answers before the SDK handler is closed.
 * @module
 */

/** Counts responses in flight; {@link idle} resolves when none is left. */
export class InFlight {
  #count = 0;
  #idle = new Set<() => void>();

  /** How many responses are still being sent. */
  get count(): number {
    return this.#count;
  }

  /**
   * Counts `response` until its body ends or is cancelled. Only streams are counted: any other
   * answer is complete already (and a wrapped body would wait for the rest of a request the SDK
   * refused unread, e.g. one too large). With `completed` (`Deno.ServeHandlerInfo.completed`,
   * settled once the response is sent or could not be), the response is returned as it is;
   * without it (a request not served by `Deno.serve`, e.g. `app.request()` in a test), a response
   * that passes the body through. The pass-through is one more stream, its reader and a pending
   * read per held call, ~3 KB of heap: not worth paying where the server can say it.
   */
  track(response: Response, completed?: Promise<void>): Response {
    const type = response.headers.get("content-type") ?? "";
    if (!response.body || !type.startsWith("text/event-stream")) return response;
    this.#count++;
    if (completed) {
      const done = () => this.#done();
      completed.then(done, done);
      return response;
    }
    return new Response(passThrough(response.body, () => this.#done()), {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  }

  /** Resolves once no response is in flight, or after `timeoutMs`, whichever comes first. */
  idle(timeoutMs: number): Promise<void> {
    if (this.#count === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        this.#idle.delete(finish);
        resolve();
      };
      const timer = setTimeout(finish, timeoutMs);
      this.#idle.add(finish);
    });
  }

  #done(): void {
    this.#count--;
    if (this.#count === 0) { for (const finish of [...this.#idle]) finish(); }
  }
}

/**
 * Passes `body` through and calls `release` once: when it ends, fails, or the reader (the client)
 * goes away early.
 */
function passThrough(
  body: ReadableStream<Uint8Array>,
  release: () => void,
): ReadableStream<Uint8Array> {
  let released = false;
  const finished = () => {
    if (!released) {
      released = true;
      release();
    }
  };
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          controller.close();
          finished();
        } else {
          controller.enqueue(value);
        }
      } catch (error) {
        controller.error(error);
        finished();
      }
    },
    async cancel(reason) {
      finished();
      await reader.cancel(reason).catch(() => {});
    },
  });
}
