/**
 * Images arriving without the file picker: pasted (Ctrl/Cmd+V with the focus anywhere in the
 * form, or on nothing at all) or dropped onto the form. Listens on the document while the form is
 * shown, so a file dropped beside the form is swallowed rather than opened by the browser in
 * place of the page (which would lose what was typed).
 * @module
 */
import { type ReadonlySignal, type Signal, useSignalEffect } from "@preact/signals";
import type { RefObject } from "preact";

/** What {@link useImageIntake} needs. */
export interface ImageIntakeOptions {
  /** Listens only while true (the form is shown and takes images). */
  active: ReadonlySignal<boolean>;
  /** Takes files only while true (else a drop is still swallowed, and a paste left alone). */
  accepting: ReadonlySignal<boolean>;
  /** The form's element: the drop zone, and where a paste counts. */
  zone: RefObject<HTMLElement | null>;
  /** True while files are dragged over the zone (the page highlights it). */
  dragging: Signal<boolean>;
  onFiles: (files: File[]) => void;
}

const hasFiles = (data: DataTransfer | null) => Boolean(data?.types.includes("Files"));

/** Takes pasted and dropped files into the form while `options.active`. */
export function useImageIntake(options: ImageIntakeOptions): void {
  useSignalEffect(() => {
    if (!options.active.value) return;
    const { zone, dragging, onFiles, accepting } = options;
    const inZone = (event: Event) => {
      const target = event.target as Node | null;
      return Boolean(target && zone.current?.contains(target));
    };
    const onPaste = (event: ClipboardEvent) => {
      const data = event.clipboardData;
      const files = [...(data?.files ?? [])];
      const target = event.target as HTMLElement;
      if (!files.length || !accepting.peek()) return;
      if (!(inZone(event) || target === document.body)) return;
      // Text copied from a document (Word, Pages, a mail) comes with a picture of itself: into a
      // text field, the text is what was meant. It is told by the formatted copy of the text
      // (text/html, text/rtf) such apps always add. Not by the files: the picture is a File like
      // any other, named `image.png` as a screenshot is. A file copied in Finder or Explorer
      // comes with its name as plain text only: the file is what was meant, and is attached.
      if (target.closest("textarea, input") && /text\/(html|rtf)/.test(data!.types.join())) return;
      event.preventDefault();
      onFiles(files);
    };
    const onDrag = (event: DragEvent) => {
      if (!hasFiles(event.dataTransfer)) return;
      // Leaving for a child fires after entering it; `dragover`, every few ms, says where it is.
      if (event.type === "dragleave") return void (event.relatedTarget || (dragging.value = false));
      event.preventDefault();
      const over = inZone(event) && accepting.peek();
      event.dataTransfer!.dropEffect = over ? "copy" : "none";
      dragging.value = over && event.type !== "drop";
      if (event.type === "drop" && over) onFiles([...event.dataTransfer!.files]);
    };
    const drags = ["dragenter", "dragover", "dragleave", "drop"];
    document.addEventListener("paste", onPaste);
    for (const type of drags) document.addEventListener(type, onDrag as EventListener);
    return () => {
      document.removeEventListener("paste", onPaste);
      for (const type of drags) document.removeEventListener(type, onDrag as EventListener);
      dragging.value = false;
    };
  });
}
