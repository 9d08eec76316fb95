/**
 * The SSRF guard for owner-supplied notification URLs. An owner's URL may name any host, so the
 * service must never let it reach what only the service's network can: loopback, private ranges,
 * link-local (cloud metadata at 169.254.169.254), CGNAT (Alibaba's metadata at 100.100.100.200),
 * unique-local IPv6 (AWS's fd00:ec2::254), and every other range that is not global unicast.
 *
 * - The URL: `https` only (`http` when private addresses are allowed), no credentials, no name
 *   that means this machine (`localhost`, `*.localhost`) or a metadata service.
 * - The addresses: a literal IP is checked as is; a name is resolved with `Deno.resolveDns` (A and
 *   AAAA), and refused if any address is not global unicast (an attacker's DNS could mix one in).
 * - The connection goes to the address that was checked: `post.ts` hands {@link guardedLookup} to
 *   `node:http(s)` as its `lookup`, so there is no second resolution for DNS rebinding to win,
 *   and TLS still verifies the certificate against the URL's name. Every redirect hop goes
 *   through the same checks.
 *
 * `NOTIFY_ALLOW_PRIVATE=1` turns all of this off (self-hosting next to a local ntfy, and tests).
 * @module
 */
import ipaddr from "ipaddr.js";

/** Resolves a host name to its IP addresses (A and AAAA). Injectable for tests (DNS is remote). */
export type Resolver = (hostname: string) => Promise<string[]>;

/** Options of the guard. */
export interface GuardOptions {
  /** Allow every address and `http` (`NOTIFY_ALLOW_PRIVATE=1`). */
  allowPrivate: boolean;
  /** Allow `http` URLs while still refusing private addresses (tests only). */
  allowHttp?: boolean;
  resolve?: Resolver;
}

/** A URL or address the guard refuses; its message is safe to show the owner. */
export class BlockedUrlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BlockedUrlError";
  }
}

/** Names that mean this machine or a cloud metadata service, whatever DNS says. */
const FORBIDDEN_NAMES =
  /^(localhost|metadata|metadata\.google\.internal|instance-data)$|\.localhost$/;

/** IPv6 global unicast is 2000::/3; ipaddr.js calls some addresses outside it "unicast" too. */
const GLOBAL_UNICAST_V6 = ipaddr.IPv6.parseCIDR("2000::/3");

/**
 * Whether `address` is a global unicast address (an IPv4-mapped IPv6 address is judged as the
 * IPv4 address it maps). False for anything that is not an IP address.
 */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  const parsed = ipaddr.process(address);
  if (parsed.range() !== "unicast") return false;
  return parsed.kind() === "ipv4" || (parsed as ipaddr.IPv6).match(GLOBAL_UNICAST_V6);
}

/** The host of a URL without IPv6 brackets. */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, "$1");
}

/**
 * Checks what can be checked without DNS: scheme, credentials, forbidden names, literal
 * addresses. Throws {@link BlockedUrlError}. Used when an owner saves a channel and before
 * every hop.
 */
export function checkUrl(raw: string | URL, options: GuardOptions): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new BlockedUrlError("is not a URL");
  }
  const httpAllowed = options.allowPrivate || options.allowHttp;
  if (url.protocol !== "https:" && !(httpAllowed && url.protocol === "http:")) {
    throw new BlockedUrlError(httpAllowed ? "must be an http(s) URL" : "must be an https URL");
  }
  if (url.username || url.password) {
    throw new BlockedUrlError("must not carry a user name or password");
  }
  if (options.allowPrivate) return url;
  const host = hostOf(url).toLowerCase().replace(/\.$/, "");
  if (FORBIDDEN_NAMES.test(host)) throw new BlockedUrlError("names a local or metadata host");
  if (ipaddr.isValid(host) && !isPublicAddress(host)) {
    throw new BlockedUrlError("points at a private, loopback or link-local address");
  }
  return url;
}

/** A and AAAA records of `hostname` through `Deno.resolveDns`; a name with neither fails. */
export const resolveWithDns: Resolver = async (hostname) => {
  const results = await Promise.allSettled([
    Deno.resolveDns(hostname, "A"),
    Deno.resolveDns(hostname, "AAAA"),
  ]);
  return results.flatMap((r) => r.status === "fulfilled" ? r.value : []);
};

/**
 * The addresses `hostname` may be reached at: a literal IP as is, a name resolved. Throws
 * {@link BlockedUrlError} when it does not resolve or any address is not public.
 */
export async function resolvePublic(hostname: string, resolve: Resolver): Promise<string[]> {
  const addresses = ipaddr.isValid(hostname) ? [hostname] : await resolve(hostname);
  if (addresses.length === 0) throw new BlockedUrlError("does not resolve to any address");
  if (!addresses.every(isPublicAddress)) {
    throw new BlockedUrlError("resolves to a private, loopback or link-local address");
  }
  return addresses;
}

/** The `lookup` signature `node:net` calls (with `all: true` it wants every address). */
export type LookupFunction = (
  hostname: string,
  options: { all?: boolean; family?: number | string },
  callback: (
    error: Error | null,
    address: string | { address: string; family: number }[],
    family?: number,
  ) => void,
) => void;

/**
 * A `lookup` for `node:http(s)` that resolves with `resolve` and refuses non-public addresses,
 * so the socket connects to exactly the address that was checked.
 */
export function guardedLookup(resolve: Resolver): LookupFunction {
  return (hostname, options, callback) => {
    resolvePublic(hostname, resolve).then((addresses) => {
      const entries = addresses.map((address) => ({
        address,
        family: address.includes(":") ? 6 : 4,
      }));
      if (options?.all) callback(null, entries);
      else callback(null, entries[0].address, entries[0].family);
    }, (error) => callback(error instanceof Error ? error : new Error(String(error)), []));
  };
}
