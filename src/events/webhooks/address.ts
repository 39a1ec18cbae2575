/**
 * The SSRF guard. A webhook URL is http(s) without credentials, and every address its host
 * resolves to must be a public unicast address: not loopback, private (RFC 1918, unique local),
 * carrier-grade NAT, link-local (where cloud metadata services live: 169.254.169.254,
 * fd00:ec2::254 is unique local), multicast, reserved or documentation space; an IPv4-mapped
 * or NAT64 IPv6 address is judged by the IPv4 address inside it. `allowPrivate`
 * (PEDIGREE_WEBHOOK_ALLOW_PRIVATE) lifts the address rule, for receivers on the same network.
 *
 * Checked when a webhook is created and again at every connection: `checkedLookup` is the
 * lookup the HTTP client connects with, so the socket goes to the address that was checked
 * (a DNS answer that changes between check and connect cannot redirect it).
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

const BLOCKED = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  BLOCKED.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 127], // unspecified and loopback
  ['100::', 64], // discard
  ['2001::', 23], // IETF protocol assignments
  ['2001:db8::', 32], // documentation
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
] as const) {
  BLOCKED.addSubnet(network, prefix, 'ipv6');
}

/** The IPv4 address inside an IPv4-mapped (::ffff:a.b.c.d) or NAT64 (64:ff9b::/96) address. */
function embeddedIpv4(address: string): string | null {
  const match = /^(?:::ffff:|64:ff9b::)(?:(\d+\.\d+\.\d+\.\d+)|([0-9a-f]{1,4}):([0-9a-f]{1,4}))$/i.exec(address);
  if (!match) return null;
  if (match[1]) return match[1];
  const high = parseInt(match[2]!, 16);
  const low = parseInt(match[3]!, 16);
  return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
}

/** True for a public unicast address (see the module comment). */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return !BLOCKED.check(address, 'ipv4');
  if (family !== 6) return false;
  const inner = embeddedIpv4(address.toLowerCase());
  if (inner !== null) return isPublicAddress(inner);
  return !BLOCKED.check(address, 'ipv6');
}

/** Why the URL cannot be a webhook target, or null. Syntax only; addresses are checked by `resolveTarget`. */
export function urlProblem(raw: string): string | null {
  if (raw.length > 2_048) return 'must be at most 2048 characters';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute http or https URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http or https URL';
  if (url.username !== '' || url.password !== '') return 'must not carry credentials; authenticate receivers by the signature';
  if (url.hostname === '') return 'must name a host';
  return null;
}

/** A URL's hostname as the resolver and `isIP` want it (no IPv6 brackets). */
export function hostOf(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

/** Every address the host resolves to (a literal address resolves to itself). */
function resolveAll(host: string): Promise<LookupAddress[]> {
  const family = isIP(host);
  if (family !== 0) return Promise.resolve([{ address: host, family }]);
  return new Promise((resolve, reject) => dnsLookup(host, { all: true, verbatim: true }, (error, addresses) => (error ? reject(error) : resolve(addresses))));
}

export class BlockedAddressError extends Error {
  override name = 'BlockedAddressError';
}

/**
 * The host's addresses, once every one of them is allowed; throws BlockedAddressError naming a
 * refused one (all must pass: a name that resolves to one public and one private address could
 * otherwise be steered to the private one).
 */
export async function resolveTarget(host: string, allowPrivate: boolean): Promise<LookupAddress[]> {
  const addresses = await resolveAll(host);
  if (addresses.length === 0) throw new BlockedAddressError(`${host} has no address`);
  if (!allowPrivate) {
    const refused = addresses.find((a) => !isPublicAddress(a.address));
    if (refused) throw new BlockedAddressError(`${host} resolves to ${refused.address}, a loopback, private, link-local or reserved address`);
  }
  return addresses;
}

/** A `lookup` for node:http that resolves, checks, and hands the socket only checked addresses. */
export function checkedLookup(allowPrivate: boolean): LookupFunction {
  return ((hostname: string, options: { all?: boolean }, callback: (error: Error | null, address: string | LookupAddress[], family?: number) => void) => {
    resolveTarget(hostname, allowPrivate).then(
      (addresses) => (options.all ? callback(null, addresses) : callback(null, addresses[0]!.address, addresses[0]!.family)),
      (error: Error) => callback(error, ''),
    );
  }) as LookupFunction;
}
