// Cross-site admin requests are refused. A browser that has logged in to the admin surfaces with
// Basic auth sends those credentials with every request to this origin, including a form POST or
// a fetch started by a page on another site; without this check such a page could pause the
// fetch queue, drop a query or remove a key in the operator's name (CSRF). requireAdmin installs
// the check as the first onRequest hook of every admin scope, so every admin route, Bull Board's
// included, present or future, gets it.
//
// Only requests that can change state are judged: GET, HEAD and OPTIONS always pass (no admin
// GET changes anything). For the others, what the browser itself says decides; a page cannot
// set or alter these headers:
// - Sec-Fetch-Site present (browsers send it to HTTPS and localhost origins; over plain HTTP
//   elsewhere they send only Origin, judged below): `same-origin` and `none` (the
//   operator typed the address or used a bookmark) pass; `cross-site`, `same-site` (a sibling
//   subdomain is another site for admin purposes) and anything else are refused. When it is
//   present, Origin is not compared: the browser has already compared it, and does so with the
//   address the operator sees, which a reverse proxy that rewrites Host would hide from us.
// - Otherwise (older browsers), Origin present: it must be this server's own origin, scheme, host
//   and port compared after normalising (default ports dropped, host lower-cased). The server's
//   origin is request.protocol and request.host, which believe X-Forwarded-Proto and
//   X-Forwarded-Host only from a proxy TRUST_PROXY trusts. `Origin: null` (a sandboxed frame, a
//   data: or file: page, a redirect across sites) is refused: it names no origin that could match.
// - Neither header: a client that is not a browser (curl, a script). It passes: it holds the
//   credentials itself, and no other site can make it send a request.
//
// The check runs before the credentials check. A cross-site request is refused whether or not
// it carries credentials, so a page elsewhere can neither raise the browser's login prompt for
// the admin realm nor have its attempts counted as failed logins against the operator's own
// address. What it tells an unauthenticated caller, that the route exists, the 401 tells anyway.
import type { FastifyRequest } from 'fastify';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const ALLOWED_FETCH_SITES = new Set(['same-origin', 'none']);
const WHO_IS_ACCEPTED = "admin changes are taken only from this server's own pages, or from clients that send neither Origin nor Sec-Fetch-Site";

/** scheme://host[:port] with default ports dropped and the host lower-cased, or null for anything but an http(s) origin. */
function normalisedOrigin(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  // Credentials, a path, a query or a fragment: not an origin (nor a Host) but something else.
  if (url.username !== '' || url.password !== '' || url.pathname !== '/' || url.search !== '' || url.hash !== '') return null;
  return url.origin;
}

/** This server's origin as the client addressed it, or null when Host (or X-Forwarded-Host) names none. */
function ownOrigin(request: Pick<FastifyRequest, 'protocol' | 'host'>): string | null {
  return request.host === '' ? null : normalisedOrigin(`${request.protocol}://${request.host}`);
}

/**
 * Why `request` is refused as a cross-site admin request, or null when it may go on. Pure: the
 * hook in requireAdmin answers 403 with the reason.
 */
export function crossSiteRefusal(request: Pick<FastifyRequest, 'method' | 'headers' | 'protocol' | 'host'>): string | null {
  if (SAFE_METHODS.has(request.method)) return null;
  const fetchSite = request.headers['sec-fetch-site'];
  if (fetchSite !== undefined) {
    const site = (Array.isArray(fetchSite) ? fetchSite.join(',') : fetchSite).trim().toLowerCase();
    if (ALLOWED_FETCH_SITES.has(site)) return null;
    const said = /^[a-z-]{1,20}$/.test(site) ? site : 'not a value browsers send';
    return `Cross-site admin request refused: Sec-Fetch-Site is ${said}; ${WHO_IS_ACCEPTED}.`;
  }
  const origin = request.headers.origin;
  if (origin === undefined) return null;
  if (origin.trim() === 'null') {
    return `Cross-site admin request refused: Origin is null (a sandboxed or opaque page); ${WHO_IS_ACCEPTED}.`;
  }
  const theirs = normalisedOrigin(origin.trim());
  if (theirs === null) return `Cross-site admin request refused: Origin is not a valid origin; ${WHO_IS_ACCEPTED}.`;
  const ours = ownOrigin(request);
  if (theirs === ours) return null;
  return `Cross-site admin request refused: Origin ${theirs} is not this server's origin (${ours ?? 'unknown: no valid Host'}); ${WHO_IS_ACCEPTED}.`;
}
