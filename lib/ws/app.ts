/**
 * The WebSocket routes (contract §5), a Hono sub-app with absolute paths:
 * - `GET /ws/{sessionId}?clientType=web|app[&token=JWT]`: one session's events (the id is the
 *   capability; a token, when present, must verify and only grants the owner role if it names
 *   the session's owner);
 * - `GET /ws?token=JWT`: the owner stream, every event of the token owner's sessions.
 * Everything that can be refused is refused BEFORE the upgrade, with the JSON envelope: a bad id
 * (400), a bad token (401), an unknown session (404), a request that is not an upgrade (400).
 * Socket limits (per instance, per session, and the owner's quota over all of the owner's sessions
 * and streams) are told after the upgrade, with a close code and reason a browser can read.
 * @module
 */
import { Hono } from "hono";
import { z } from "zod";
import { bearerToken } from "../auth/jwt.ts";
import { AppError, UnauthorizedError, ValidationError } from "../errors.ts";
import { parseOrThrow, parseSessionId } from "../feedback/model.ts";
import type { Services } from "../services.ts";
import { serveConnection } from "./connection.ts";
import { OwnerStreams } from "./owner_stream.ts";
import { connectionEstablished } from "./protocol.ts";
import { CLOSE, closeSocket, type SocketSlot } from "./registry.ts";
import { SessionChannels } from "./session_channel.ts";

const credentials = {
  token: z.string().max(8192).optional(),
  /** Upstream's name for the same token. */
  apiKey: z.string().max(8192).optional(),
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
  const { feedback, hub, sockets, expiry, log, verifyToken, config } = services;
  const now = () => feedback.now();
  const sessionChannels = new SessionChannels({ hub, expiry, now });
  const ownerStreams = new OwnerStreams({
    hub,
    store: feedback.store,
    publicBaseUrl: config.publicBaseUrl,
    now,
    log,
  });
  const app = new Hono();

  /**
   * Upgrades, or upgrades only to close at once with the refusal (browsers see no HTTP status).
   * The socket counts in `scope` and against `owner`'s socket quota.
   */
  const upgrade = (
    request: Request,
    place: { scope: string; owner: string },
    serve: (socket: WebSocket, slot: SocketSlot) => void,
  ) => {
    const admission = sockets.admit(place.scope, { owner: place.owner });
    let upgraded: { socket: WebSocket; response: Response };
    try {
      upgraded = Deno.upgradeWebSocket(request);
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
      serve(upgraded.socket, admission.slot);
    }
    return upgraded.response;
  };

  app.get("/ws/:sessionId", async (c) => {
    const sessionId = parseSessionId(c.req.param("sessionId"));
    const query = parseOrThrow(sessionQuery, c.req.query());
    const token = presentedToken(query, c.req.raw);
    // Checked when present: a bad token is refused, another owner's token is simply no owner.
    const owner = token ? (await verifyToken(token)).owner : undefined;
    const session = await feedback.get(sessionId);
    requireUpgrade(c.req.raw);
    const role = owner !== undefined && owner === session.owner ? "owner" : "viewer";
    // Counted against the session's owner, whoever opens it: the owner's questions hold it.
    const place = { scope: `session:${sessionId}`, owner: session.owner };
    return upgrade(c.req.raw, place, (socket, slot) => {
      let leave: (() => void) | undefined;
      serveConnection(socket, {
        slot,
        log,
        now,
        sessionId,
        onOpen(connection) {
          const member = {
            status: session.status,
            deliver: (texts: string[]) => texts.forEach((t) => connection.sendText(t)),
            gone: () => connection.close(CLOSE.normal, "session no longer exists"),
          };
          connection.send(connectionEstablished({
            sessionId,
            clientId: connection.clientId,
            status: session.status,
            role,
          }, now()));
          leave = sessionChannels.join(sessionId, member);
          // No session or client id: the session id is the capability (contract §5).
          log.debug("websocket opened", { clientType: query.clientType, role });
        },
        onClose() {
          leave?.();
          log.debug("websocket closed", { clientType: query.clientType, role });
        },
      });
    });
  });

  app.get("/ws", async (c) => {
    const query = parseOrThrow(ownerQuery, c.req.query());
    const token = presentedToken(query, c.req.raw);
    if (!token) throw new UnauthorizedError("Pass the owner's token as `?token=<JWT>`.");
    const { owner } = await verifyToken(token);
    requireUpgrade(c.req.raw);
    return upgrade(c.req.raw, { scope: `owner:${owner}`, owner }, (socket, slot) => {
      let leave: (() => void) | null = null;
      serveConnection(socket, {
        slot,
        log,
        now,
        sessionId: null,
        async onOpen(connection) {
          leave = await ownerStreams.join(owner, {
            deliver: (texts) => texts.forEach((t) => connection.sendText(t)),
          }, () => {
            if (connection.closed) return false;
            connection.send(connectionEstablished({
              sessionId: null,
              clientId: connection.clientId,
              status: null,
              role: "owner",
            }, now()));
            return true;
          });
          // Closed while joining: `onClose` ran before there was anything to leave.
          if (leave && connection.closed) leave();
        },
        onClose() {
          leave?.();
        },
      });
    });
  });

  for (const path of ["/ws", "/ws/:sessionId"]) {
    app.all(path, () => {
      throw new AppError("METHOD_NOT_ALLOWED", "Open a WebSocket with GET.", { allow: ["GET"] });
    });
  }

  return app;
}
