// Where webhooks may send (CONTRACT §7): never to this machine, a private network, a
// link-local address or a cloud metadata service, unless the operator allows it
// (WEBHOOK_ALLOW_PRIVATE=1). Checked when a webhook is registered, and again on every
// delivery against the very address the connection uses, so a name that resolves
// elsewhere later (DNS rebinding) cannot slip through.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP } from 'node:net';
import { networkInterfaces } from 'node:os';

const internal = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], // "this network"; 0.0.0.0 reaches this machine
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata (169.254.169.254)
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const) {
  internal.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['ff00::', 8], // multicast
  ['fd00:ec2::', 32], // AWS's IPv6 metadata endpoint (inside fc00::/7 too)
] as const) {
  internal.addSubnet(network, prefix, 'ipv6');
}

/** The addresses of this machine's own interfaces (its public ones included): the platform's own API. */
function ownAddresses(): Set<string> {
  return new Set(Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address.toLowerCase())));
}

/** Whether a webhook may not reach `address` (an IPv4 or IPv6 literal). */
export function isInternalAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped) return isInternalAddress(mapped);
  const family = isIP(address);
  if (family === 0) return true;
  return internal.check(address, family === 4 ? 'ipv4' : 'ipv6') || ownAddresses().has(address.toLowerCase());
}

export class ForbiddenDestination extends Error {}

export interface OutboundPolicy {
  /** WEBHOOK_ALLOW_PRIVATE=1: internal addresses are allowed. */
  allowPrivate: boolean;
}

/** A URL's host without IPv6 brackets (the WHATWG parser has already turned 2130706433,
 * 0x7f.0.0.1 and 127.1 into 127.0.0.1). */
const hostOf = (url: URL) => url.hostname.replace(/^\[(.*)\]$/, '$1');

async function resolveAll(host: string): Promise<string[]> {
  if (isIP(host)) return [host];
  return new Promise((resolve, reject) =>
    dnsLookup(host, { all: true, verbatim: true }, (err, addresses) => (err ? reject(err) : resolve(addresses.map((a) => a.address)))),
  );
}

/** Throws ForbiddenDestination when `url`'s host is or resolves to an internal address. */
export async function checkDestination(url: URL, policy: OutboundPolicy): Promise<void> {
  if (policy.allowPrivate) return;
  let addresses: string[];
  try {
    addresses = await resolveAll(hostOf(url));
  } catch (err) {
    throw new ForbiddenDestination(`${url.hostname} does not resolve (${err instanceof Error ? err.message : String(err)}).`);
  }
  const blocked = addresses.find(isInternalAddress);
  if (blocked) throw new ForbiddenDestination(`${url.hostname} is ${blocked === hostOf(url) ? 'an internal address' : `${blocked}, an internal address`}.`);
}

/** A DNS lookup for http.request that refuses internal addresses: the connection is made to
 * the address checked here, never to a second answer. */
function guardedLookup(policy: OutboundPolicy): RequestOptions['lookup'] {
  return ((hostname: string, options: { all?: boolean }, callback: (err: Error | null, address: string | LookupAddress[], family?: number) => void) => {
    dnsLookup(hostname, { all: true, verbatim: true }, (err, addresses) => {
      if (err) return callback(err, []);
      const allowed = policy.allowPrivate ? addresses : addresses.filter((a) => !isInternalAddress(a.address));
      if (allowed.length === 0) return callback(new ForbiddenDestination(`${hostname} resolves only to internal addresses.`), []);
      if (options.all) return callback(null, allowed);
      const first = allowed[0] as LookupAddress;
      callback(null, first.address, first.family);
    });
  }) as RequestOptions['lookup'];
}

export interface PostResult {
  status: number;
}

/** POSTs `body` to `url` with `headers`, refusing internal destinations; no redirects are
 * followed. Resolves with the status once the answer's headers arrive. */
export async function postOutbound(
  url: URL,
  body: string,
  headers: Record<string, string>,
  options: { policy: OutboundPolicy; signal: AbortSignal },
): Promise<PostResult> {
  const host = hostOf(url);
  if (isIP(host) && !options.policy.allowPrivate && isInternalAddress(host)) throw new ForbiddenDestination(`${host} is an internal address.`);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        lookup: guardedLookup(options.policy),
        signal: options.signal,
      },
      (res: IncomingMessage) => {
        res.resume(); // the answer's body is not read
        resolve({ status: res.statusCode ?? 0 });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
