/**
 * A session's images as whoever holds its link sees them (the feedback page, the inbox, the MCP
 * App): the facts the markup needs (size for `width`/`height`, so nothing jumps while they load,
 * and the agent's alt text) and the capability address `/feedback/{id}/images/{imageId}`:
 * question images, and the answer's own (the link holder wrote it). Never the owner-only `/api/…`
 * address, never where the bytes are stored.
 * @module
 */
import { type ImageFacts, imageView } from "./present.ts";

/** One image on a page; JSON, so an island can take it as a prop. */
export interface PageImage {
  /** `q1`… for the question's images, `a1`… for the answer's. */
  id: string;
  /** A path on the page's own origin. */
  url: string;
  width: number;
  height: number;
  /** The agent's alt text (question images), or null: the page then says "Image n of m". */
  alt: string | null;
}

/**
 * One image as whoever holds the session's link sees it: its capability address (under
 * `baseUrl`, or a path on the page's own origin) and the facts the markup needs. The MCP App's
 * form shows question images with it too.
 */
export function pageImageOf(sessionId: string, image: ImageFacts, baseUrl = ""): PageImage {
  const view = imageView(sessionId, image, baseUrl, { access: "capability" });
  return {
    id: view.id,
    url: view.url,
    width: view.width,
    height: view.height,
    alt: view.alt ?? null,
  };
}

/** The page's view of `images` (a question's or an answer's; none when absent). */
export function pageImagesOf(
  sessionId: string,
  images: readonly ImageFacts[] | undefined,
): PageImage[] {
  return (images ?? []).map((image) => pageImageOf(sessionId, image));
}
