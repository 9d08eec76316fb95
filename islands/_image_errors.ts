/**
 * Why an image could not be prepared for sending, apart from the scaling code
 * (`_image_scale.ts`), which the page loads only with the first image.
 * @module
 */

/** The file is an image, but even scaled and re-encoded more compactly it is over the limit. */
export class ImageTooLargeError extends Error {}

/** The file's header declares more pixels than the page opens: it was not decoded. */
export class ImagePixelsError extends Error {}
