/**
 * Strict base64 for image uploads: the standard alphabet of RFC 4648 §4, padding optional,
 * nothing else (no whitespace, no line breaks, no `data:` URL prefix, no URL-safe alphabet).
 * `atob` and `Uint8Array.fromBase64` both skip whitespace, so the shape is checked first: junk
 * is refused rather than silently read as some other bytes.
 *
 * Every function here is one pass over the text, without regular expressions on it as a whole:
 * the text comes from anyone holding a session link, and a backtracking pattern such as `/=+$/`
 * costs the square of a long run of `=` (200,000 of them held the event loop for 21 s).
 * @module
 */

const EQUALS = 0x3d;

/** Whether `c` (a UTF-16 code unit) is in the standard base64 alphabet, padding excluded. */
function isAlphabet(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) ||
    c === 0x2b || c === 0x2f;
}

/** How many `=` end `text`, counted back from its end. */
function trailingPadding(text: string): number {
  let i = text.length;
  while (i > 0 && text.charCodeAt(i - 1) === EQUALS) i--;
  return text.length - i;
}

/** Whether a text of `length` characters ending in `padding` `=` can be base64 at all. */
function lengthFits(length: number, padding: number): boolean {
  return padding > 0 ? length % 4 === 0 : length % 4 !== 1;
}

/** Why `text` is not strict base64, or null when it is. */
export function base64Problem(text: string): string | null {
  if (text.startsWith("data:")) return "must be plain base64, without a data: URL prefix";
  const padding = trailingPadding(text);
  let urlSafe = false;
  let other = padding > 2;
  for (let i = 0; i < text.length - padding; i++) {
    const c = text.charCodeAt(i);
    if (isAlphabet(c)) continue;
    // One character at a time: a regular expression here costs a constant per character.
    if (/\s/.test(text[i])) return "must be base64 without whitespace or line breaks";
    if (c === 0x2d || c === 0x5f) urlSafe = true;
    else other = true;
  }
  if (urlSafe) return "must use the standard base64 alphabet (+ and /), not the URL-safe one";
  if (other) return "is not valid base64";
  if (!lengthFits(text.length, padding)) return "is not valid base64 (its length does not fit)";
  return null;
}

/**
 * How many bytes `text` decodes to, from its length alone (no decoding), assuming it is valid:
 * lets a size limit refuse a huge upload before a byte is decoded.
 */
export function base64DecodedLength(text: string): number {
  return Math.floor(((text.length - trailingPadding(text)) * 3) / 4);
}

/**
 * Decodes strict base64 (see the module doc); null when `text` is not. Fast path: the decoder
 * itself refuses every character outside the alphabet but skips whitespace, and whitespace is
 * caught because the bytes decoded then fall short of what the text's length promises (with the
 * length rule, one stray space included). Only a failure pays for {@link base64Problem}'s scan.
 */
export function decodeBase64Strict(text: string): Uint8Array | null {
  const padding = trailingPadding(text);
  if (padding > 2 || !lengthFits(text.length, padding)) return null;
  let bytes: Uint8Array;
  try {
    // "loose": accepts a missing final padding (allowed here) and ignores set bits in it.
    bytes = Uint8Array.fromBase64(text, { lastChunkHandling: "loose" });
  } catch {
    return null;
  }
  return bytes.length === base64DecodedLength(text) ? bytes : null;
}
