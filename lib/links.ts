/**
 * The service's public addresses, all under `PUBLIC_BASE_URL`: the links handed out for a
 * session (REST, MCP, WebSocket and the pages give the same ones) and the WebSocket origin the
 * pages allow. The one module that knows the URL layout of the transports, so the feedback domain
 * does not.
 * @module
 */

/** The links handed out for a session. */
export interface SessionLinks {
  /** The page where the human answers. */
  feedbackUrl: string;
  statusUrl: string;
  resultUrl: string;
  /** The session's live updates (contract §5). */
  wsUrl: string;
}

/** The WebSocket origin that goes with an http(s) origin (`https:` → `wss:`). */
export function wsOriginOf(publicBaseUrl: string): string {
  return new URL(publicBaseUrl).origin.replace(/^http/, "ws");
}

/** The page where the human answers session `id`. */
export function feedbackUrlOf(publicBaseUrl: string, id: string): string {
  return `${publicBaseUrl}/feedback/${id}`;
}

/** Every link of session `id`. */
export function sessionLinks(publicBaseUrl: string, id: string): SessionLinks {
  return {
    feedbackUrl: feedbackUrlOf(publicBaseUrl, id),
    statusUrl: `${publicBaseUrl}/api/feedback/${id}/status`,
    resultUrl: `${publicBaseUrl}/api/feedback/${id}/result`,
    wsUrl: `${wsOriginOf(publicBaseUrl)}/ws/${id}`,
  };
}

/** Which door an image is served through: see {@link imageUrlOf}. */
export type ImageAccess = "capability" | "owner";

/**
 * Where image `imageId` of session `sessionId` is served: `capability` is
 * `/feedback/{id}/images/{imageId}`, for whoever holds the session id (the page, the human);
 * `owner` is `/api/feedback/{id}/images/{imageId}`, behind the owner's bearer token (the agent).
 * An empty `publicBaseUrl` gives the path alone (the pages link to their own origin).
 */
export function imageUrlOf(
  publicBaseUrl: string,
  image: { sessionId: string; imageId: string; access: ImageAccess },
): string {
  const path = `/feedback/${image.sessionId}/images/${encodeURIComponent(image.imageId)}`;
  return `${publicBaseUrl}${image.access === "owner" ? "/api" : ""}${path}`;
}

/** The MCP endpoint that clients connect to. */
export function mcpUrlOf(publicBaseUrl: string): string {
  return `${publicBaseUrl}/mcp`;
}

/** The REST endpoint that creates a session (the quick-start example). */
export function createUrlOf(publicBaseUrl: string): string {
  return `${publicBaseUrl}/api/feedback/create`;
}
