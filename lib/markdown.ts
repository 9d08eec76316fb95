/**
 * The agent's message as HTML: markdown-it with raw HTML off (any tag in the source is shown as
 * text), only absolute `http:`, `https:` and `mailto:` links made live (an agent's message may
 * carry prompt-injected text, so `intent:`, `ms-settings:`, `data:`, relative links and every
 * other scheme stay plain text), and every link opening in a new tab without referrer or opener. Images are not rendered: a remote image
 * would tell a third party that (and from where) the page was opened, and the page's CSP blocks
 * them anyway; the image syntax degrades to a plain link.
 * @module
 */
import MarkdownIt from "markdown-it";

const md = new MarkdownIt({ html: false, linkify: true, typographer: false, breaks: false });
md.disable("image");

/** The only schemes a link in a message may use. */
const LIVE_SCHEMES = new Set(["http:", "https:", "mailto:"]);

// markdown-it calls this with the decoded, normalized destination of every link and autolink;
// a refused link is rendered as the text it was written as.
md.validateLink = (url) => URL.canParse(url) && LIVE_SCHEMES.has(new URL(url).protocol);

/** What every link in a message carries. */
export const LINK_REL = "noopener noreferrer nofollow";

const defaultLinkOpen = md.renderer.rules.link_open ??
  ((tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options));

md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
  const token = tokens[idx];
  token.attrSet("target", "_blank");
  token.attrSet("rel", LINK_REL);
  return defaultLinkOpen(tokens, idx, options, env, self);
};

/** Renders untrusted markdown to HTML that is safe to insert into a page. */
export function renderMarkdown(source: string): string {
  return md.render(source);
}

/** Options of {@link createMarkdownCache}. */
export interface MarkdownCacheOptions {
  /** Most sources kept; the least recently used goes first. */
  maxEntries?: number;
  /** Most characters kept, sources and HTML together; a larger one is rendered, not kept. */
  maxChars?: number;
}

/** {@link renderMarkdown} that remembers the HTML of recent sources, each under a key. */
export interface MarkdownCache {
  /** The HTML of `source`, stored under `key` (a session id). */
  render(key: string, source: string): string;
  /** Whether something is kept under `key`. */
  has(key: string): boolean;
  /** How many sources are kept. */
  readonly size: number;
}

/**
 * A bounded LRU of rendered messages for the page, which renders the same session's message on
 * every view while the markdown parse is the largest part of a render. A hit needs the key and the
 * whole source to match what was rendered: the HTML is then a pure function of what is asked for,
 * so it cannot be another session's or an older text's, whatever the key. (A source is not the key
 * itself: V8 hashes a string over 16 K characters by its length alone.)
 */
export function createMarkdownCache(options: MarkdownCacheOptions = {}): MarkdownCache {
  const maxEntries = options.maxEntries ?? 1000;
  const maxChars = options.maxChars ?? 4_000_000;
  const entries = new Map<string, { source: string; html: string }>();
  let chars = 0;
  const drop = (key: string, entry: { source: string; html: string }) => {
    entries.delete(key);
    chars -= entry.source.length + entry.html.length;
  };
  return {
    render(key, source) {
      const kept = entries.get(key);
      if (kept) {
        drop(key, kept);
        if (kept.source === source) {
          entries.set(key, kept); // now the most recently used
          chars += source.length + kept.html.length;
          return kept.html;
        }
      }
      const html = renderMarkdown(source);
      if (source.length + html.length > maxChars) return html;
      entries.set(key, { source, html });
      chars += source.length + html.length;
      for (const [oldKey, old] of entries) {
        if (entries.size <= maxEntries && chars <= maxChars) break;
        drop(oldKey, old);
      }
      return html;
    },
    has: (key) => entries.has(key),
    get size() {
      return entries.size;
    },
  };
}
