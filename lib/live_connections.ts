/**
 * The connections one instance holds open (WebSockets today), as shutdown and the counters see
 * them. A transport that keeps connections owns its pool (the WebSocket transport builds its socket
 * registry) and adds it here when it is built, so the shared services reach every connection at
 * shutdown without knowing any transport.
 * @module
 */

/** How many connections are open, in how many scopes (sessions, owners' streams). */
export interface ConnectionStats {
  sockets: number;
  scopes: number;
}

/** What a transport's pool of connections offers to shutdown and the counters. */
export interface ConnectionPool {
  stats(): ConnectionStats;
  /** Ends every connection, telling its client to reconnect elsewhere, and refuses new ones. */
  closeAll(): Promise<unknown>;
}

/** Every pool of connections of one instance. */
export class LiveConnections {
  #pools = new Set<ConnectionPool>();
  #closed = false;

  /** Adds a transport's pool; one added after {@link closeAll} is closed at once. */
  add(pool: ConnectionPool): void {
    this.#pools.add(pool);
    if (this.#closed) void pool.closeAll();
  }

  /** The counts over every pool. */
  stats(): ConnectionStats {
    const total = { sockets: 0, scopes: 0 };
    for (const pool of this.#pools) {
      const { sockets, scopes } = pool.stats();
      total.sockets += sockets;
      total.scopes += scopes;
    }
    return total;
  }

  /** Ends every connection of every pool (WebSockets with 1012) and waits until they are gone. */
  async closeAll(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#pools].map((pool) => pool.closeAll()));
  }
}
