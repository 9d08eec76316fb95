/**
 * DNS-rebinding protection for the MCP endpoint: the `Host` (and, when a browser sends one, the
 * `Origin`) must name this service's public origin or a loopback address. A page on an attacker's
 * domain that resolves to this server still carries the attacker's name in both headers.
 * @module
 */

const LOOPBACK_HOSTNAMES = new Set(["localhost", "127.0.0.1", "[::1]"]);
const DEFAULT_PORTS: Record<string, string> = { "http:": "80", "https:": "443" };

/** Why a request was refused, or undefined when its Host and Origin are acceptable. */
export type HostCheck = (request: Request) => "host" | "origin" | undefined;

/** Builds the check for a service published at `publicBaseUrl`. */
export function createHostCheck(publicBaseUrl: string): HostCheck {
  const publicUrl = new URL(publicBaseUrl);
  const publicHostname = publicUrl.hostname.toLowerCase();
  const publicPort = publicUrl.port || DEFAULT_PORTS[publicUrl.protocol];

  const hostAllowed = (host: string): boolean => {
    const parsed = splitHost(host);
    if (!parsed) return false;
    if (LOOPBACK_HOSTNAMES.has(parsed.hostname)) return true;
    return parsed.hostname === publicHostname &&
      (parsed.port ?? DEFAULT_PORTS[publicUrl.protocol]) === publicPort;
  };

  const originAllowed = (origin: string): boolean => {
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return false; // includes the opaque origin "null"
    }
    if (url.origin === publicUrl.origin) return true;
    return (url.protocol === "http:" || url.protocol === "https:") &&
      LOOPBACK_HOSTNAMES.has(url.hostname.toLowerCase());
  };

  return (request) => {
    // Deno.serve builds the URL from the Host header; in-process requests may have no header.
    const host = request.headers.get("host") ?? new URL(request.url).host;
    if (!hostAllowed(host)) return "host";
    const origin = request.headers.get("origin");
    if (origin !== null && !originAllowed(origin)) return "origin";
    return undefined;
  };
}

/** `name[:port]` or `[v6]:port` into parts; undefined when it is not a host. */
function splitHost(host: string): { hostname: string; port?: string } | undefined {
  const match = /^(\[[0-9a-f:.]+\]|[^:\[\]\s/@]+)(?::(\d{1,5}))?$/i.exec(host.trim());
  if (!match) return undefined;
  return { hostname: match[1].toLowerCase(), port: match[2] };
}
