/**
 * Fan-out for one watched session on this instance: ONE session watch (so one `kv.watch`) however
 * many sockets are open on the session, one expiry timer while it is pending, and each change
 * turned into protocol messages once and sent to every socket.
 * @module
 */
import type { ExpiryScheduler } from "../feedback/expiry.ts";
import type { FeedbackSession, SessionStatus } from "../feedback/model.ts";
import type { FeedbackService } from "../feedback/service.ts";
import { transitionMessages } from "./protocol.ts";

/** A socket on a session, as the channel sees it. */
export interface SessionMember {
  /** The status this socket was last told. */
  status: SessionStatus;
  /** Sends pre-serialized messages. */
  deliver(texts: string[]): void;
  /** The session no longer exists (purged): the socket should close. */
  gone(): void;
}

/** What the channels need. */
export interface SessionChannelsDeps {
  /** Where the session is watched ({@link FeedbackService.watchSession}). */
  feedback: Pick<FeedbackService, "watchSession">;
  expiry: ExpiryScheduler;
  /** Wall clock for message timestamps. */
  now: () => number;
}

/** Counters for tests. */
export interface SessionChannelsStats {
  channels: number;
  members: number;
}

interface Channel {
  members: Set<SessionMember>;
  current?: FeedbackSession;
  unsubscribe: () => void;
  releaseExpiry?: () => void;
}

/** The open session channels of one instance. */
export class SessionChannels {
  #channels = new Map<string, Channel>();
  readonly #deps: SessionChannelsDeps;

  constructor(deps: SessionChannelsDeps) {
    this.#deps = deps;
  }

  /**
   * Adds a socket to the session's channel (opening the channel, and its watch, on first use).
   * A change the socket has not heard of yet is sent at once. Returns the function that leaves.
   */
  join(sessionId: string, member: SessionMember): () => void {
    let channel = this.#channels.get(sessionId);
    if (!channel) channel = this.#open(sessionId);
    channel.members.add(member);
    if (channel.current) this.#update(channel, [member], channel.current);
    const joined = channel;
    return () => {
      if (!joined.members.delete(member) || joined.members.size > 0) return;
      if (this.#channels.get(sessionId) === joined) this.#channels.delete(sessionId);
      joined.unsubscribe();
      joined.releaseExpiry?.();
    };
  }

  /** Current counts. */
  stats(): SessionChannelsStats {
    let members = 0;
    for (const channel of this.#channels.values()) members += channel.members.size;
    return { channels: this.#channels.size, members };
  }

  #open(sessionId: string): Channel {
    const channel: Channel = { members: new Set(), unsubscribe: () => {} };
    this.#channels.set(sessionId, channel);
    channel.unsubscribe = this.#deps.feedback.watchSession(sessionId, (session) => {
      if (!session) {
        for (const member of [...channel.members]) member.gone();
        return;
      }
      channel.current = session;
      this.#trackExpiry(channel, session);
      this.#update(channel, [...channel.members], session);
    });
    return channel;
  }

  #trackExpiry(channel: Channel, session: FeedbackSession): void {
    if (session.status === "pending") {
      channel.releaseExpiry ??= this.#deps.expiry.watch(session.id, session.expiresAt);
    } else {
      channel.releaseExpiry?.();
      channel.releaseExpiry = undefined;
    }
  }

  #update(channel: Channel, members: SessionMember[], session: FeedbackSession): void {
    if (session.status === "pending") return;
    let texts: string[] | undefined;
    for (const member of members) {
      if (member.status !== "pending" || !channel.members.has(member)) continue;
      // Serialized once per change, not once per socket.
      texts ??= transitionMessages({ session, oldStatus: "pending" }, this.#deps.now()).map((m) =>
        JSON.stringify(m)
      );
      member.status = session.status;
      member.deliver(texts);
    }
  }
}
