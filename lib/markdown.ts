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
