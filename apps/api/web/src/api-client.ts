// The dashboard's only way to the server: typed calls to the public API (same origin). Errors
// come back as ApiError carrying the API's own message ("q must contain at least one letter…").

// The response shapes are core's (one schema each); only their types are imported, so nothing
// of core reaches the browser.
import type { FeedPage, FollowedQueries, HealthBody, QueryOverview, VideoJson, VideoPage } from '@tubefeed/core/response-schemas';

export type { VideoPage };
export type Video = VideoJson;
export type FollowedQuery = QueryOverview;
export type Health = HealthBody;

/** The newest video of a feed scope and its size, with the validator for the next poll. */
export interface FeedHead {
  readonly newestId: string | null;
  readonly total: number;
  readonly etag: string | null;
}

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

type Params = Record<string, string | undefined>;

function withParams(path: string, params: Params): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined && value !== '') search.set(name, value);
  const query = search.toString();
  return query === '' ? path : `${path}?${query}`;
}

async function request(path: string, init: RequestInit = {}): Promise<Response> {
  try {
    return await fetch(path, { ...init, headers: { accept: 'application/json', ...init.headers } });
  } catch {
    throw new ApiError('The server cannot be reached; check the connection and try again.', 0);
  }
}

async function readJson<T>(response: Response, okStatuses: readonly number[] = [200]): Promise<T> {
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    throw new ApiError(`Unexpected answer from the server (HTTP ${response.status}).`, response.status);
  }
  if (!okStatuses.includes(response.status)) {
    const message = (body as { message?: unknown }).message;
    throw new ApiError(typeof message === 'string' ? message : `HTTP ${response.status}`, response.status);
  }
  return body as T;
}

export async function listVideos(params: Params): Promise<VideoPage> {
  return readJson<VideoPage>(await request(withParams('/videos', params)));
}

export async function searchVideos(params: Params): Promise<VideoPage> {
  return readJson<VideoPage>(await request(withParams('/videos/search', params)));
}

export async function followedQueries(): Promise<readonly FollowedQuery[]> {
  return (await readJson<FollowedQueries>(await request('/queries'))).queries;
}

/** /health answers 503 with the same body when a dependency is down: that is still a report. */
export async function health(): Promise<Health> {
  return readJson<Health>(await request('/health', { cache: 'no-store' }), [200, 503]);
}

/**
 * Page 1 of /getData with one video: served from the API's in-memory snapshot with an ETag, so
 * polling with If-None-Match costs a 304 and no body while nothing changed. Returns `null` then.
 */
export async function feedHead(query: string | undefined, etag: string | null): Promise<FeedHead | null> {
  const response = await request(withParams('/getData', { limit: '1', query }), {
    // An explicit validator and no HTTP cache in between: a 304 reaches this code as a 304.
    cache: 'no-store',
    headers: etag === null ? {} : { 'if-none-match': etag },
  });
  if (response.status === 304) {
    // Read the (empty) body to its end: a response dropped unread is cancelled, which the
    // browser reports as a failed request.
    await response.arrayBuffer();
    return null;
  }
  const body = await readJson<FeedPage>(response);
  return { newestId: body.videos[0]?.video_id ?? null, total: body.totalCount, etag: response.headers.get('etag') };
}
