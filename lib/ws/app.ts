/**
 * The WebSocket routes (contract §5), a Hono sub-app with absolute paths:
 * - `GET /ws/{sessionId}?clientType=web|app[&token=JWT]`: one session's events (the id is the
 *   capability; a token, when present, must verify and only grants the owner role if it names
 *   the session's owner);
 * - `GET /ws?token=JWT`: the owner stream, every event of the token owner's sessions. Without a
 *   token, the inbox's session cookie (lib/inbox/sessions.ts) authenticates it, only from the
 *   service's own origin; such a stream closes with 4001 the moment that session ends.
 * Everything that can be refused is refused BEFORE the upgrade, with the JSON envelope: a bad id
 * (400), a bad token (401), an unknown session (404), a request that is not an upgrade (400).
 * Socket limits (per instance, per session, and the owner's quota over all of the owner's sessions
 * and streams) are told after the upgrade, with a close code and reason a browser can read.
 * @module
 */
import { type Handler, Hono } from "hono";
import { z } from "zod";
import { bearerToken } from "../auth/bearer.ts";
import { isSameOrigin, readInboxCookie } from "../auth/inbox_cookie.ts";
import type { TokenVerifier } from "../auth/jwt.ts";
import { AppError, UnauthorizedError, ValidationError } from "../errors.ts";
import { type FeedbackSession, parseOrThrow, parseSessionId } from "../feedback/model.ts";
import type { FeedbackService } from "../feedback/service.ts";
import { type AuthenticatedInboxSession, InboxSessions } from "../inbox/sessions.ts";
import type { Logger } from "../log.ts";
import type { Services } from "../services.ts";
import { serveConnection } from "./connection.ts";
import { OwnerStreams } from "./owner_stream.ts";
import { connectionEstablished } from "./protocol.ts";
import { CLOSE, closeSocket, SocketRegistry, type SocketSlot } from "./registry.ts";
import { SessionChannels } from "./session_channel.ts";

/** The close code of an owner stream whose inbox session was signed out, revoked or expired. */
export const CLOSE_SIGNED_OUT = 4001;

/** Far above any token this service signs; a longer query value is refused before verifying. */
const MAX_TOKEN_LENGTH = 8192;

const credentials = {
  token: z.string().max(MAX_TOKEN_LENGTH).optional(),
  /** Upstream's name for the same token. */
  apiKey: z.string().max(MAX_TOKEN_LENGTH).optional(),
};

const sessionQuery = z.object({
  clientType: z.enum(["web", "app"]).default("web"),
  ...credentials,
});
const ownerQuery = z.object(credentials);

/** The token from `?token`, `?apiKey` or `Authorization: Bearer`; empty counts as none. */
function presentedToken(
  query: { token?: string; apiKey?: string },
  request: Request,
): string | undefined {
  return query.token || query.apiKey || bearerToken(request.headers.get("authorization")) ||
    undefined;
}

function requireUpgrade(request: Request): void {
  if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
    throw ValidationError.of(
      "upgrade",
      "this endpoint speaks WebSocket: send `Upgrade: websocket`",
    );
  }
}

/** Builds the WebSocket routes of one instance. */
export function createWsApp(services: Services): Hono {
  const { feedback, expiry, log, verifyToken, config, now } = services;
  // This transport's sockets; the services reach them only to close them at shutdown.
  const sockets = new SocketRegistry({
    maxSockets: config.ws.maxSockets,
    maxPerScope: config.ws.maxSocketsPerSession,
    maxPerOwner: config.ownerQuotas.maxSockets,
    idleTimeoutMs: config.ws.idleTimeout * 1000,
    log,
  });
  services.sockets.add(sockets);
  const sessionChannels = new SessionChannels({ feedback, expiry, now });
  const ownerStreams = new OwnerStreams({
    feedback,
    publicBaseUrl: config.publicBaseUrl,
    now,
    log,
  });
  const inboxSessions = new InboxSessions({
    kv: services.kv,
    now,
    watchKey: (key, listener) => services.hub.subscribe(key, listener),
  });
  const deps: WsDeps = {
    feedback,
    verifyToken,
    sockets,
    sessionChannels,
    ownerStreams,
    log,
    now,
    inboxSessions,
    publicBaseUrl: config.publicBaseUrl,
  };
  const app = new Hono();
  app.get("/ws/:sessionId", sessionSocketRoute(deps));
  app.get("/ws", ownerStreamRoute(deps));
  for (const path of ["/ws", "/ws/:sessionId"]) {
    app.all(path, () => {
      throw new AppError("METHOD_NOT_ALLOWED", "Open a WebSocket with GET.", { allow: ["GET"] });
    });
  }
  return app;
}

/** What the upgrade handlers share, built once by {@link createWsApp}. */
interface WsDeps {
  feedback: Pick<FeedbackService, "get">;
  verifyToken: TokenVerifier;
  sockets: SocketRegistry;
  sessionChannels: SessionChannels;
  ownerStreams: OwnerStreams;
  log: Logger;
  now: () => number;
  inboxSessions: InboxSessions;
  publicBaseUrl: string;
}

/** `GET /ws/{sessionId}`: checks the id, any token and the session, then upgrades. */
function sessionSocketRoute(deps: WsDeps): Handler {
  return async (c) => {
    const sessionId = parseSessionId(c.req.param("sessionId"));
    const query = parseOrThrow(sessionQuery, c.req.query());
    const token = presentedToken(query, c.req.raw);
    // Checked when present: a bad token is refused, another owner's token is simply no owner.
    const owner = token ? (await deps.verifyToken(token)).owner : undefined;
    const session = await deps.feedback.get(sessionId);
    requireUpgrade(c.req.raw);
    const role = owner !== undefined && owner === session.owner ? "owner" : "viewer";
    return upgradeOrRefuse(deps.sockets, {
      request: c.req.raw,
      scope: `session:${sessionId}`,
      // Counted against the session's owner, whoever opens it: the owner's questions hold it.
      owner: session.owner,
      serve: (socket, slot) =>
        serveSessionSocket(deps, { socket, slot, session, role, clientType: query.clientType }),
    });
  };
}

/** Options of {@link serveSessionSocket}. */
interface SessionSocketOptions {
  socket: WebSocket;
  slot: SocketSlot;
  session: FeedbackSession;
  role: "owner" | "viewer";
  clientType: "web" | "app";
}

/** Serves an upgraded session socket: greets it, then relays the session's events until it closes. */
function serveSessionSocket(deps: WsDeps, options: SessionSocketOptions): void {
  const { session, role, clientType } = options;
  const { log, now } = deps;
  let leave: (() => void) | undefined;
  serveConnection(options.socket, {
    slot: options.slot,
    log,
    now,
    sessionId: session.id,
    onOpen(connection) {
      const member = {
        status: session.status,
        deliver: (texts: string[]) => texts.forEach((t) => connection.sendText(t)),
        gone: () => connection.close(CLOSE.normal, "session no longer exists"),
      };
      connection.send(connectionEstablished({
        sessionId: session.id,
        clientId: connection.clientId,
        status: session.status,
        role,
      }, now()));
      leave = deps.sessionChannels.join(session.id, member);
      // No session or client id: the session id is the capability (contract §5).
      log.debug("websocket opened", { clientType, role });
    },
    onClose() {
      leave?.();
      log.debug("websocket closed", { clientType, role });
    },
  });
}

/**
 * The inbox session of a cookie-authenticated upgrade, or null. Only the service's own pages may
 * use the cookie (`Origin` must be the public origin): a browser attaches cookies to any site's
 * WebSocket to us, and the upgrade is not covered by CORS (cross-site WebSocket hijacking).
 */
async function inboxSessionOf(
  deps: WsDeps,
  request: Request,
): Promise<AuthenticatedInboxSession | null> {
  const secret = readInboxCookie(request.headers.get("cookie"), deps.publicBaseUrl);
  if (!secret) return null;
  const from = {
    origin: request.headers.get("origin"),
    secFetchSite: request.headers.get("sec-fetch-site"),
  };
  if (isSameOrigin(from, deps.publicBaseUrl) !== true) return null;
  return await deps.inboxSessions.authenticate(secret);
}

/** `GET /ws`: checks the owner's token (or, without one, the inbox cookie), then upgrades. */
function ownerStreamRoute(deps: WsDeps): Handler {
  return async (c) => {
    const query = parseOrThrow(ownerQuery, c.req.query());
    const token = presentedToken(query, c.req.raw);
    // A token, when presented, decides alone: a bad token is refused even with a valid cookie.
    const inbox = token ? null : await inboxSessionOf(deps, c.req.raw);
    if (!token && !inbox) throw new UnauthorizedError("Pass the owner's token as `?token=<JWT>`.");
    const owner = token ? (await deps.verifyToken(token)).owner : inbox!.session.owner;
    requireUpgrade(c.req.raw);
    return upgradeOrRefuse(deps.sockets, {
      request: c.req.raw,
      scope: `owner:${owner}`,
      owner,
      serve: (socket, slot) =>
        serveOwnerStream(deps, { socket, slot, owner, inboxRef: inbox?.ref }),
    });
  };
}

/** Serves an upgraded owner stream: greets it once joined, then relays the owner's events. */
function serveOwnerStream(
  deps: WsDeps,
  options: { socket: WebSocket; slot: SocketSlot; owner: string; inboxRef?: string },
): void {
  const { log, now } = deps;
  let leave: (() => void) | null = null;
  let unwatch: (() => void) | undefined;
  serveConnection(options.socket, {
    slot: options.slot,
    log,
    now,
    sessionId: null,
    async onOpen(connection) {
      if (options.inboxRef) {
        unwatch = deps.inboxSessions.watch(
          options.inboxRef,
          () => connection.close(CLOSE_SIGNED_OUT, "inbox session ended"),
        );
      }
      leave = await deps.ownerStreams.join(options.owner, {
        admit: () => {
          if (connection.closed) return false;
          connection.send(connectionEstablished({
            sessionId: null,
            clientId: connection.clientId,
            status: null,
            role: "owner",
          }, now()));
          return true;
        },
        deliver: (texts) => texts.forEach((t) => connection.sendText(t)),
      });
      // Closed while joining: `onClose` ran before there was anything to leave.
      if (leave && connection.closed) leave();
    },
    onClose() {
      unwatch?.();
      leave?.();
    },
  });
}

/** Options of {@link upgradeOrRefuse}. */
interface UpgradeOptions {
  request: Request;
  /** Where the socket counts (`session:<id>`, `owner:<name>`). */
  scope: string;
  /** Whose socket quota it counts against. */
  owner: string;
  /** Serves the admitted socket. */
  serve: (socket: WebSocket, slot: SocketSlot) => void;
}

/**
 * Upgrades, or upgrades only to close at once with the refusal (browsers see no HTTP status)
 * when `sockets` has no room in the scope or the owner's quota.
 */
function upgradeOrRefuse(sockets: SocketRegistry, options: UpgradeOptions): Response {
  const admission = sockets.admit(options.scope, { owner: options.owner });
  let upgraded: { socket: WebSocket; response: Response };
  try {
    upgraded = Deno.upgradeWebSocket(options.request);
  } catch (error) {
    if (admission.ok) admission.slot.release();
    throw ValidationError.of(
      "upgrade",
      `not a valid WebSocket upgrade (${(error as Error).name})`,
    );
  }
  if (!admission.ok) {
    closeSocket(upgraded.socket, admission.refusal.code, admission.refusal.reason);
  } else {
    options.serve(upgraded.socket, admission.slot);
  }
  return upgraded.response;
}
