/**
 * Islands, server side. An island is a component in `islands/` that is rendered to HTML on the
 * server like any other, inside a wrapper element that records its name and its props as JSON:
 *
 * ```html
 * <div class="island" data-island="FeedbackApp" data-props="{&quot;sessionId&quot;:…}">…SSR…</div>
 * ```
 *
 * The browser entry (`islands/_entry.ts`, via {@link hydrateIslands}) finds these wrappers, loads
 * each island's chunk and hydrates it with the same props. Props travel in an attribute, not an
 * inline `<script>`, so the page's CSP can forbid inline script; the renderer escapes attribute
 * values, so no prop can break out of it. Props must be JSON: functions, symbols and children are
 * refused when the page is rendered rather than lost silently. Islands do not nest.
 * @module
 */
import { type ComponentType, type FunctionComponent, h } from "preact";

/** The attribute naming the island of a wrapper element. */
export const ISLAND_ATTRIBUTE = "data-island";
/** The attribute holding the island's props as JSON. */
export const PROPS_ATTRIBUTE = "data-props";

const ISLAND_NAME = /^[A-Z][A-Za-z0-9]*$/;
const defined = new Map<string, unknown>();

/** Serializes island props, refusing what JSON would drop or mangle. */
export function serializeProps(name: string, props: object): string {
  return JSON.stringify(props, (key, value) => {
    if (typeof value === "function" || typeof value === "symbol") {
      throw new TypeError(`Island ${name}: prop "${key}" is not serializable (${typeof value})`);
    }
    if (key === "children") {
      throw new TypeError(`Island ${name}: children cannot be passed to an island`);
    }
    return value;
  });
}

/**
 * Wraps `component` as the island `name` (the file name in `islands/` and the key of the browser
 * entry's loader table). Render the returned component in pages; it hydrates in the browser.
 */
export function defineIsland<P extends object>(
  name: string,
  component: ComponentType<P>,
): FunctionComponent<P> {
  if (!ISLAND_NAME.test(name)) throw new Error(`Island name must be PascalCase: ${name}`);
  if (defined.has(name) && defined.get(name) !== component) {
    throw new Error(`Island ${name} is defined twice`);
  }
  defined.set(name, component);
  const Island: FunctionComponent<P> = (props) => {
    const { children: _ignored, ...own } = props as P & { children?: unknown };
    return h("div", {
      class: "island",
      [ISLAND_ATTRIBUTE]: name,
      [PROPS_ATTRIBUTE]: serializeProps(name, own),
    }, h(component, own as P));
  };
  Island.displayName = `Island(${name})`;
  return Island;
}

/** The names of every island defined so far (for the test that checks the browser entry). */
export function definedIslands(): string[] {
  return [...defined.keys()].sort();
}
