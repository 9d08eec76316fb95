/**
 * The answer a feedback page's form posts without JavaScript: `application/x-www-form-urlencoded`
 * (`selectedOptions` repeated, `freeText`), or `multipart/form-data` when the page offers images
 * (the same fields, plus the files of `images`). Each body is read up to its own cap before it is
 * parsed: the API's `maxBodyBytes` for a plain form, `maxImageBodyBytes` (room for every image the
 * answer may carry) for a multipart one. The files go to the service as raw bytes without a type:
 * the type a browser declares comes from the file's name (a PNG saved as `photo.jpg` is declared
 * `image/jpeg`), and the service decides the real one from the bytes.
 *
 * A multipart body over its cap is not thrown away whole: the page's form puts the file input
 * after the text fields, and a browser sends the parts in the form's order, so what arrived
 * before the files is read and shown again with the refusal (the human's typed answer is kept).
 * @module
 */
import { z } from "zod";
import { AppError, ValidationError } from "../../lib/errors.ts";
import { readBodyText } from "../../lib/http/body.ts";
import type { AnswerDraft } from "../../islands/FeedbackApp.tsx";

/** An image file of the form, as the service takes it: the bytes, no declared type. */
export interface PostedImage {
  data: Uint8Array;
}

/** What a form posted: the answer's fields, and its images (none from a plain form). */
export interface PostedAnswer extends AnswerDraft {
  images: PostedImage[];
  /**
   * The body was over `maxImageBodyBytes`: the refusal (413), the fields being what arrived
   * before the files, and no images.
   */
  overLimit?: AppError;
}

/** The caps of the two kinds of body. */
export interface FormLimits {
  maxBodyBytes: number;
  maxImageBodyBytes: number;
}

/** The form's fields, before the service validates them against the session. */
const answerFields = z.object({
  selectedOptions: z.array(z.string()).max(100, "too many options"),
  freeText: z.string(),
});

function mediaTypeOf(request: Request): string {
  return (request.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
}

/** The `boundary` parameter of a multipart content type, or null. */
function boundaryOf(request: Request): string | null {
  const match = (request.headers.get("content-type") ?? "").match(
    /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i,
  );
  return match ? match[1] ?? match[2] : null;
}

/** A multipart body over its cap: the images made it so (the text fields are small). */
function tooLarge(maxBytes: number): AppError {
  return new AppError(
    "PAYLOAD_TOO_LARGE",
    `The request body is larger than ${maxBytes} bytes.`,
    { limit: maxBytes, field: "images" },
  );
}

function fieldsOf(values: { getAll(name: string): unknown[]; get(name: string): unknown }) {
  const parsed = answerFields.safeParse({
    selectedOptions: values.getAll("selectedOptions").filter((v) => typeof v === "string"),
    freeText: typeof values.get("freeText") === "string" ? values.get("freeText") : "",
  });
  if (!parsed.success) throw ValidationError.of("selectedOptions", "too many options");
  return parsed.data;
}

/** The first `maxBytes` of the body (all of it if shorter), and whether that was all of it. */
async function readPrefix(
  request: Request,
  maxBytes: number,
): Promise<{ bytes: Uint8Array<ArrayBuffer>; whole: boolean }> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  let whole = true;
  const reader = request.body?.getReader();
  while (reader) {
    const { done, value } = await reader.read();
    if (done) break;
    if (size + value.byteLength > maxBytes) {
      chunks.push(value.subarray(0, maxBytes - size));
      size = maxBytes;
      whole = false;
      await reader.cancel().catch(() => {});
      break;
    }
    chunks.push(value);
    size += value.byteLength;
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return { bytes, whole };
}

/**
 * The text fields of the start of a multipart body: the parts that arrived whole (up to the last
 * boundary seen), closed and parsed by the platform's parser; files among them are ignored.
 */
async function fieldsOfStart(start: Uint8Array<ArrayBuffer>, request: Request) {
  const boundary = boundaryOf(request);
  if (!boundary) return { selectedOptions: [], freeText: "" };
  // Latin-1 maps each byte to one character, so positions in the text are positions in the bytes.
  const last = new TextDecoder("latin1").decode(start).lastIndexOf(`\r\n--${boundary}`);
  if (last < 0) return { selectedOptions: [], freeText: "" };
  const body = new Blob([start.subarray(0, last), `\r\n--${boundary}--\r\n`]);
  try {
    return fieldsOf(await new Response(body, { headers: request.headers }).formData());
  } catch {
    return { selectedOptions: [], freeText: "" };
  }
}

/** Reads the posted answer; the service does the real validation. */
export async function readAnswerForm(request: Request, limits: FormLimits): Promise<PostedAnswer> {
  const type = mediaTypeOf(request);
  if (type === "application/x-www-form-urlencoded") {
    const params = new URLSearchParams(await readBodyText(request, limits.maxBodyBytes));
    return { ...fieldsOf(params), images: [] };
  }
  if (type !== "multipart/form-data") {
    throw new AppError(
      "UNSUPPORTED_MEDIA_TYPE",
      "Send the form as application/x-www-form-urlencoded or multipart/form-data.",
    );
  }
  const cap = limits.maxImageBodyBytes;
  // Said to be over the cap (browsers send the length of a form): only the start is read, as
  // much as a plain form may carry, which the text fields before the files fit in.
  const declared = Number(request.headers.get("content-length") ?? NaN);
  const { bytes, whole } = await readPrefix(
    request,
    declared > cap ? Math.min(cap, limits.maxBodyBytes) : cap,
  );
  if (declared > cap || !whole) {
    return { ...await fieldsOfStart(bytes, request), images: [], overLimit: tooLarge(cap) };
  }
  let form: FormData;
  try {
    form = await new Response(bytes, { headers: request.headers }).formData();
  } catch {
    throw ValidationError.of("body", "is not a valid multipart form");
  }
  const images: PostedImage[] = [];
  for (const value of form.getAll("images")) {
    // A file input left empty still posts one part, with no name and no bytes.
    if (typeof value === "string" || value.size === 0) continue;
    images.push({ data: new Uint8Array(await value.arrayBuffer()) });
  }
  return { ...fieldsOf(form), images };
}
