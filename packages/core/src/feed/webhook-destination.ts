// Where a webhook may deliver (server-side request forgery guard). A webhook URL is operator
// input, and the worker POSTs to it from inside the deployment's network: without a guard, a
// URL could reach the cloud metadata service, Redis, MySQL or anything else only the service
// can reach. So, unless an operator set `allowPrivateNetwork` on that webhook:
// - the URL must be https: and carry no credentials;
// - host names meant for local or cloud-internal use (localhost, *.internal, metadata...) are refused;
// - every address the host resolves to must be ordinary public unicast: loopback, private,
//   link-local (169.254.169.254, the metadata address, included), unique-local, carrier-grade
//   NAT, unspecified, multicast, broadcast, reserved, documentation and transition ranges
//   (6to4, Teredo, NAT64) are refused, in IPv4, IPv6 and IPv4-mapped IPv6 form alike.
// Ranges come from ipaddr.js; the rule is an allow-list (only its `unicast`), so a range it
// learns later is refused, not let through. The check runs when the webhook is registered and
// again at every delivery on the address actually connected to (`guardedLookup`, given to
// Node's request as its `lookup`), so a name that resolved to a public address at registration
// and to 127.0.0.1 later (DNS rebinding) is refused at the connection.
import { promises as dns, type LookupAddress, type LookupOptions } from 'node:dns';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

/** The destination is not one a webhook may deliver to; the message says why (never a secret). */
export class WebhookDestinationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookDestinationError';
  }
}

/** Resolves a host name to every address it has (dns.lookup by default: /etc/hosts and DNS, as connections do). */
export type HostResolver = (hostname: string) => Promise<readonly LookupAddress[]>;

export const systemResolver: HostResolver = (hostname) => dns.lookup(hostname, { all: true, verbatim: true });

/** Names that only mean something inside a machine or a cloud network (metadata services among them). */
const LOCAL_NAMES = new Set(['localhost', 'metadata', 'metadata.goog', 'metadata.google.internal', 'instance-data', 'instance-data.ec2.internal']);
const LOCAL_SUFFIXES = ['.localhost', '.internal', '.local', '.home.arpa', '.localdomain'];

/**
 * What an address is, by ipaddr.js's ranges (an IPv4-mapped IPv6 address as its IPv4 one):
 * `unicast` for an ordinary public address, otherwise the range's name (`loopback`,
 * `private`, `linkLocal`, `uniqueLocal`, `carrierGradeNat`, ...). Null: not an IP address.
 */
export function addressRange(address: string): string | null {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  if (!ipaddr.isValid(bare)) return null;
  // process(): IPv4-mapped IPv6 (::ffff:127.0.0.1) becomes the IPv4 address it carries.
  return ipaddr.process(bare).range();
}

/** Whether a webhook may connect to this address: only ordinary public unicast, unless private networks are allowed. */
export function isAllowedAddress(address: string, allowPrivateNetwork: boolean): boolean {
  if (allowPrivateNetwork) return true;
  return addressRange(address) === 'unicast';
}

function refusedAddress(host: string, address: string): WebhookDestinationError {
  const range = addressRange(address) ?? 'not an IP address';
  // An IPv4-mapped address is named with the IPv4 address it carries.
  const carried = ipaddr.isValid(address) ? ipaddr.process(address).toString() : address;
  const shown = carried === address ? address : `${address} (${carried})`;
  const where = host === address ? shown : `${host} resolves to ${shown}`;
  return new WebhookDestinationError(
    `url must reach a public address: ${where} is ${range === 'unicast' ? 'refused' : `in a ${range} range`} (set allowPrivateNetwork to deliver inside your network)`,
  );
}

/** The URL's host without IPv6 brackets or a trailing dot, lower case. */
function hostOf(url: URL): string {
  const host = url.hostname.toLowerCase().replace(/\.$/, '');
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/**
 * The checks that need no lookup: a parsable http(s) URL without credentials, https: and no
 * local or cloud-internal host name (unless private networks are allowed), and an IP literal
 * host in an allowed range. Returns the URL as parsed.
 */
export function checkWebhookUrl(url: string, allowPrivateNetwork: boolean): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new WebhookDestinationError('url must be an absolute URL such as https://example.com/hooks/tubefeed');
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new WebhookDestinationError('url must start with https://');
  if (parsed.protocol === 'http:' && !allowPrivateNetwork) {
    throw new WebhookDestinationError('url must start with https:// (http:// only with allowPrivateNetwork, for receivers inside your network)');
  }
  if (parsed.username !== '' || parsed.password !== '') {
    throw new WebhookDestinationError('url must not carry credentials (user:password@): receivers check the signature made with the secret');
  }
  if (parsed.hash !== '') throw new WebhookDestinationError('url must not have a #fragment (it is never sent)');
  const host = hostOf(parsed);
  if (host === '') throw new WebhookDestinationError('url must name a host');
  if (allowPrivateNetwork) return parsed;
  if (addressRange(host) !== null) {
    if (!isAllowedAddress(host, false)) throw refusedAddress(host, host);
    return parsed;
  }
  if (LOCAL_NAMES.has(host) || LOCAL_SUFFIXES.some((suffix) => host.endsWith(suffix)) || !host.includes('.')) {
    throw new WebhookDestinationError(`url must reach a public host: ${host} is a local or cloud-internal name (set allowPrivateNetwork to deliver inside your network)`);
  }
  return parsed;
}

/**
 * Every check, the host's addresses included (all of them: one refused address refuses the
 * URL, since a connection may use any). Used at registration; a lookup that fails or takes
 * longer than `timeoutMs` refuses the URL too.
 */
export async function checkWebhookDestination(
  url: string,
  allowPrivateNetwork: boolean,
  options: { resolve?: HostResolver; timeoutMs?: number } = {},
): Promise<URL> {
  const parsed = checkWebhookUrl(url, allowPrivateNetwork);
  const host = hostOf(parsed);
  if (allowPrivateNetwork || addressRange(host) !== null) return parsed;
  const addresses = await resolveWithin(options.resolve ?? systemResolver, host, options.timeoutMs ?? 5000);
  const refused = addresses.find((entry) => !isAllowedAddress(entry.address, false));
  if (refused !== undefined) throw refusedAddress(host, refused.address);
  return parsed;
}

async function resolveWithin(resolve: HostResolver, host: string, timeoutMs: number): Promise<readonly LookupAddress[]> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const addresses = await Promise.race([
      resolve(host),
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error('timed out')), timeoutMs);
      }),
    ]);
    if (addresses.length === 0) throw new Error('no address');
    return addresses;
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new WebhookDestinationError(`url's host ${host} could not be resolved (${reason})`);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A `lookup` for node:http(s) `request`: resolves as the connection would, refuses the
 * connection when any address is not allowed, and hands Node only addresses it checked, so the
 * address connected to is one that passed. Node skips `lookup` for an IP literal host:
 * `checkWebhookUrl` covers those.
 */
export function guardedLookup(allowPrivateNetwork: boolean, resolve: HostResolver = systemResolver): LookupFunction {
  return (hostname: string, options: LookupOptions, callback: (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void) => {
    resolve(hostname).then(
      (found) => {
        const refused = found.find((entry) => !isAllowedAddress(entry.address, allowPrivateNetwork));
        if (refused !== undefined) {
          callback(refusedAddress(hostname, refused.address), '');
          return;
        }
        const family = options.family === 4 || options.family === 'IPv4' ? 4 : options.family === 6 || options.family === 'IPv6' ? 6 : 0;
        const usable = family === 0 ? [...found] : found.filter((entry) => entry.family === family);
        const first = usable[0];
        if (first === undefined) {
          callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), '');
          return;
        }
        if (options.all === true) callback(null, usable);
        else callback(null, first.address, first.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, ''),
    );
  };
}
