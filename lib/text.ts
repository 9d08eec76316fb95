/**
 * Text measured the way every limit counts it: in Unicode code points, so an emoji is one
 * character, not two UTF-16 units. Dependency-free, so the browser islands import it too and
 * count a draft exactly as the server will.
 * @module
 */

/** The number of code points in `text`. */
export function codePointLength(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/** The first `max` code points of `text` (never half of a surrogate pair). */
export function sliceCodePoints(text: string, max: number): string {
  return Array.from(text).slice(0, max).join("");
}
