/**
 * Islands, browser side: hydrates every island wrapper of the page (see `island.tsx`) with the
 * props recorded on it, loading each island's code only when the page has that island.
 * Imported by the browser entry only; it touches `document`.
 * @module
 */
import { type ComponentType, h, hydrate } from "preact";

/** Loads one island's module; its default export is the component. */
export type IslandLoader = () => Promise<{ default: ComponentType<never> }>;

const ISLAND_SELECTOR = "[data-island]";

/**
 * Hydrates every island under `root`. Each wrapper gets `data-hydrated` once it is rendered,
 * and `<html>` gets `data-hydrated` when all are and their effects have run (tests wait for it).
 */
export async function hydrateIslands(
  loaders: Record<string, IslandLoader>,
  root: ParentNode = document,
): Promise<void> {
  const tasks: Promise<void>[] = [];
  for (const element of root.querySelectorAll<HTMLElement>(ISLAND_SELECTOR)) {
    const name = element.dataset.island ?? "";
    const load = Object.hasOwn(loaders, name) ? loaders[name] : undefined;
    if (!load) {
      console.error(`No island named ${name} in the browser entry`);
      continue;
    }
    const props = JSON.parse(element.dataset.props ?? "{}") as Record<string, unknown>;
    tasks.push(
      load().then((module) => {
        const component = module.default as ComponentType<Record<string, unknown>>;
        hydrate(h(component, props), element);
        element.dataset.hydrated = "";
      }),
    );
  }
  await Promise.all(tasks);
  // Preact runs effects (event listeners, sockets) after the next paint, not inside hydrate():
  // the islands are live only once those ran.
  await afterEffects();
  document.documentElement.dataset.hydrated = "";
}

/** Resolves after Preact's post-paint effect flush (it waits for a frame, then a task). */
function afterEffects(): Promise<void> {
  return new Promise((resolve) => {
    const next = () => setTimeout(resolve, 0);
    // Hidden tabs get no animation frames: do not wait for one forever.
    const fallback = setTimeout(next, 100);
    requestAnimationFrame(() => {
      clearTimeout(fallback);
      next();
    });
  });
}

/** The props recorded for island `name` in a parsed document, if it has that island. */
export function readIslandProps<P>(doc: ParentNode, name: string): P | undefined {
  for (const element of doc.querySelectorAll<HTMLElement>(ISLAND_SELECTOR)) {
    if (element.dataset.island === name) return JSON.parse(element.dataset.props ?? "{}") as P;
  }
  return undefined;
}

/**
 * Fetches `url` (a page that renders island `name`) and returns the island's fresh props: how an
 * island learns the server's current view of its data without a JSON API of its own.
 */
export async function fetchIslandProps<P>(url: string, name: string): Promise<P | undefined> {
  const response = await fetch(url, {
    headers: { accept: "text/html" },
    credentials: "same-origin",
    cache: "no-store",
  });
  if (!response.ok && response.status !== 404) return undefined;
  const doc = new DOMParser().parseFromString(await response.text(), "text/html");
  return readIslandProps<P>(doc, name);
}
