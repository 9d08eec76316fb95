/**
 * The images a human is about to send with an answer: checked the moment they arrive (an image at
 * all, not SVG, not more than the answer may carry), scaled one after another in the order they
 * came (`_image_scale.ts`), previewed from `blob:` addresses, and turned into the API's `images`
 * field when the answer goes. They live in memory only: a reload (or the language switch, a plain
 * link) drops them; the text draft (`_draft_storage.ts`) survives it.
 *
 * Every preview address is revoked once nothing shows it: on removal, on `clear` (the form is
 * gone), on `dispose` (the island is); an image whose scaling ends after that never gets one.
 * @module
 */
import { type Signal, signal } from "@preact/signals";
import type { FeedbackAppMessages } from "./_props.ts";
import { ImagePixelsError, ImageTooLargeError } from "./_image_errors.ts";
import type { ScaledImage } from "./_image_scale.ts";

/**
 * Scales with `_image_scale.ts`, loaded with the first image: most answers carry none, and the
 * page's first load is 1.2 KB of gzip lighter without it.
 */
async function scaleWhenNeeded(file: File, maxBytes: number): Promise<ScaledImage> {
  return (await import("./_image_scale.ts")).scaleImage(file, maxBytes);
}

/** One image ready to send, with its preview. */
export interface Attachment {
  blob: Blob;
  /** A `blob:` address for the thumbnail; revoked when nothing shows it any more. */
  url: string;
  width: number;
  height: number;
}

/** An image refused before upload: the message's key, and the file's name for it. */
export type AttachmentRefusal = {
  key: keyof FeedbackAppMessages & `errorImage${string}`;
  name: string;
};

/** The images of one form. */
export interface Attachments {
  items: Signal<Attachment[]>;
  /** How many are still being scaled. */
  preparing: Signal<number>;
  /** Upload progress of the answer being sent, 0–1, or null while none is. */
  progress: Signal<number | null>;
  /** Takes files in; those refused are reported to `onRefused`, the last one shown. */
  add(files: Iterable<File>): void;
  remove(item: Attachment): void;
  /** Forgets every image (the form is gone); one still being scaled is dropped when done. */
  clear(): void;
  /**
   * Forgets every image but keeps its preview, for the thank-you view to show what was sent
   * without loading it again; {@link dispose} revokes those.
   */
  keep(): Attachment[];
  /** Forgets everything, kept previews included (the island is gone). */
  dispose(): void;
  /** Resolves once every image taken in so far is scaled (or refused). */
  settled(): Promise<void>;
  /** The API's `images` field: base64 data and type, in order. */
  payload(): Promise<{ data: string; mimeType: string }[]>;
}

/** Files over this are refused before the browser decodes them (a 100-megapixel photo is ~50 MB). */
const MAX_SOURCE_BYTES = 64 << 20;

function base64Of(blob: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    // A data: URL, `data:<type>;base64,<data>`: the browser's own encoder, fast on megabytes.
    reader.onload = () =>
      resolve(String(reader.result).slice(String(reader.result).indexOf(",") + 1));
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(blob);
  });
}

/**
 * The images of a form that sends at most `limits.max` images of `limits.maxBytes` each, scaled by
 * `scale` (the tests give their own: there is no canvas outside a browser).
 */
export function createAttachments(
  limits: { max: number; maxBytes: number },
  onRefused: (refusal: AttachmentRefusal) => void,
  scale = scaleWhenNeeded,
): Attachments {
  const items = signal<Attachment[]>([]);
  const preparing = signal(0);
  let queue = Promise.resolve();
  /** Bumped by `clear`: a scaling started before it ends unseen. */
  let generation = 0;
  let kept: Attachment[] = [];
  const refuse = (key: AttachmentRefusal["key"], file: File) => onRefused({ key, name: file.name });
  const clear = () => {
    generation++;
    for (const item of items.peek()) URL.revokeObjectURL(item.url);
    items.value = [];
  };

  return {
    items,
    preparing,
    progress: signal<number | null>(null),
    add(files) {
      for (const file of files) {
        if (items.peek().length + preparing.peek() >= limits.max) {
          refuse("errorImageCount", file);
        } else if (!file.type.startsWith("image/") || file.type === "image/svg+xml") {
          refuse("errorImageType", file);
        } else if (file.size > MAX_SOURCE_BYTES) {
          refuse("errorImageTooBig", file);
        } else {
          preparing.value++;
          const wanted = generation;
          queue = queue.then(() => scale(file, limits.maxBytes)).then(
            (scaled) => {
              if (wanted !== generation) return;
              items.value = [...items.peek(), { ...scaled, url: URL.createObjectURL(scaled.blob) }];
            },
            (error) =>
              void (wanted === generation && refuse(
                error instanceof ImagePixelsError
                  ? "errorImagePixels"
                  : error instanceof ImageTooLargeError
                  ? "errorImageTooBig"
                  : "errorImageType",
                file,
              )),
          ).finally(() => preparing.value--);
        }
      }
    },
    remove(item) {
      URL.revokeObjectURL(item.url);
      items.value = items.peek().filter((i) => i !== item);
    },
    clear,
    keep() {
      const sent = items.peek();
      kept = [...kept, ...sent];
      items.value = [];
      return sent;
    },
    dispose() {
      clear();
      for (const item of kept) URL.revokeObjectURL(item.url);
      kept = [];
    },
    settled: () => queue,
    payload: () =>
      Promise.all(
        items.peek().map(async (i) => ({ data: await base64Of(i.blob), mimeType: i.blob.type })),
      ),
  };
}
