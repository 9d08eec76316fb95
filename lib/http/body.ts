/**
 * Reading JSON request bodies safely: content type checked, size capped before parsing, malformed
 * JSON answered as a 400 (never a 500).
 * @module
 */
import { AppError, ValidationError } from "../errors.ts";

/**
 * Reads at most `maxBytes` of the body; a larger one is refused before anything is parsed, with
 * `tooLargeError` (default: a 413 naming the limit).
 */
export async function readBodyBytes(
  request: Request,
  maxBytes: number,
  tooLargeError: (maxBytes: number) => AppError = tooLarge,
): Promise<Uint8Array<ArrayBuffer>> {
  const declared = Number(request.headers.get("content-length") ?? NaN);
  if (declared > maxBytes) throw tooLargeError(maxBytes);
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLargeError(maxBytes);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/** Reads at most `maxBytes` of the body as UTF-8 text; a larger one is a 413 before parsing. */
export async function readBodyText(request: Request, maxBytes: number): Promise<string> {
  return new TextDecoder().decode(await readBodyBytes(request, maxBytes));
}

/** Whether a content type names JSON (`application/json`, `application/*+json`). */
export function isJsonContentType(contentType: string | null): boolean {
  const type = (contentType ?? "").split(";")[0].trim().toLowerCase();
  return type === "application/json" || (type.startsWith("application/") && type.endsWith("+json"));
}

/** Reads a JSON object body (not an array, not null); an empty body reads as `{}`. */
export async function readJsonObject(request: Request, maxBytes: number): Promise<unknown> {
  if (!isJsonContentType(request.headers.get("content-type"))) {
    throw new AppError(
      "UNSUPPORTED_MEDIA_TYPE",
      "Send the body as JSON with `Content-Type: application/json`.",
    );
  }
  const text = await readBodyText(request, maxBytes);
  if (text.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw ValidationError.of("body", "is not valid JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw ValidationError.of("body", "must be a JSON object");
  }
  return value;
}

function tooLarge(maxBytes: number): AppError {
  return new AppError(
    "PAYLOAD_TOO_LARGE",
    `The request body is larger than ${maxBytes} bytes.`,
    { limit: maxBytes },
  );
}
