// One search.list call of a fetch run, made through the key pool (youtube/pooled-call.ts: round
// robin over projects with search quota left, a quota answer moves the call to another project,
// a rejected key is disabled, transient and unexplained failures retry with backoff, no call at
// all when no project has searches left).
import type { KeyPool } from './youtube/key-pool.js';
import { createPooledCall, type PooledCaller, type RetrySettings } from './youtube/pooled-call.js';
import type { SearchPage, SearchRequest, YoutubeClient } from './youtube/youtube-client.js';

export type { RetrySettings } from './youtube/pooled-call.js';

export interface SearchCallDeps {
  readonly pool: Pick<KeyPool, 'acquire' | 'recordError' | 'recordSuccess' | 'markExhausted' | 'disable' | 'refund'>;
  readonly youtube: Pick<YoutubeClient, 'search'>;
  readonly retry: RetrySettings;
}

/** Who makes the call: the run's logger, and a counter told of every call sent to YouTube. */
export type SearchCaller = Pick<PooledCaller, 'log' | 'countCall'>;

export type SearchCall = (request: SearchRequest, caller: SearchCaller) => Promise<SearchPage>;

export function createSearchCall({ pool, youtube, retry }: SearchCallDeps): SearchCall {
  const call = createPooledCall({ pool, retry });
  return (request, caller) => call('search.list', (secret) => youtube.search(secret, request), caller);
}
