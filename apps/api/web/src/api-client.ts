// The dashboard's requests to the public API (same origin; the live stream is live-feed.ts's). Errors
// come back as ApiError carrying the API's own message ("q must contain at least one letter…").

// The response shapes are core's (one schema each); only their types are imported, so nothing
// of core reaches the browser.
import type { FollowedQueries, HealthBody, QueryOverview, VideoJson, VideoPage } from '@tubefeed/core/response-schemas';

export type { VideoPage };
export type Video = VideoJson;
export type FollowedQuery = QueryOverview;
export type Health = HealthBody;

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
