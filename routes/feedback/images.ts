/**
 * `GET /feedback/{id}/images/{imageId}`: an image of a session, to whoever holds the session id
 * (the page's reader, as for the page itself). Question images ("q1".."qN") and answer images
 * ("a1".."aN"): the link holder is who wrote the answer. Counted in the client address's `page`
 * budget, as the page: the images are what the page shows, and browsers keep them (they are
 * immutable), so a page view costs one request plus one per image the first time only.
 * Unknown session or image: the HTML 404 page, as for an unknown page.
 */
import type { Context } from "hono";
import { AppError, SessionNotFoundError } from "../../lib/errors.ts";
import { parseSessionId } from "../../lib/feedback/model.ts";
import { imageResponse } from "../../lib/http/image_response.ts";
import { limitAddress } from "../../lib/http/limits.ts";
import { RateLimitedError } from "../../lib/rate_limit.ts";
import type { Services } from "../../lib/services.ts";
import { notFoundPage, tooManyRequestsPage } from "../_404.tsx";

/** The route's path, as Hono writes it. */
export const FEEDBACK_IMAGE_PATH = "/feedback/:id/images/:imageId";

/** `GET` (and `HEAD`) `/feedback/{id}/images/{imageId}`. */
export async function feedbackImageRoute(c: Context, services: Services): Promise<Response> {
  let id: string;
  try {
    id = parseSessionId(c.req.param("id"));
  } catch {
    return notFoundPage(c, services);
  }
  try {
    await limitAddress(c, { services, bucket: "page" });
    const served = await services.feedback.readImage(id, c.req.param("imageId") ?? "");
    return await imageResponse(c.req.raw, served);
  } catch (error) {
    if (error instanceof RateLimitedError) return tooManyRequestsPage(c, services);
    if (error instanceof SessionNotFoundError) return notFoundPage(c, services);
    if (error instanceof AppError && error.code === "NOT_FOUND") return notFoundPage(c, services);
    throw error; // the pages app's error handler: the 503 or the 500 page
  }
}
