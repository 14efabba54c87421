// One search.list call of a fetch run, made through the key pool. Every attempt takes a key
// from the pool (round robin over projects with search quota left). A quota answer exhausts
// that project's search bucket until Pacific midnight and the same call moves to the next key;
// a rejected key is disabled; transient failures retry with exponential backoff; an
// unexplained answer is retried too, and sets its key aside as suspect after a few
// (key-pool.ts); when no project has searches left the call fails without being made.
import pRetry, { AbortError } from 'p-retry';
import type { Logger } from '../platform/logger.js';
import type { KeyLease, KeyPool } from './youtube/key-pool.js';
import { METHOD_COST } from './youtube/quota-buckets.js';
import type { SearchPage, SearchRequest, YoutubeClient } from './youtube/youtube-client.js';
import { YoutubeApiError, neverReachedYoutube } from './youtube/youtube-errors.js';

export interface RetrySettings {
  /** Retries of a call after a transient or unexplained failure (rate limit, 5xx, timeout, network). */
  readonly retries: number;
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
}

export interface SearchCallDeps {
  readonly pool: Pick<KeyPool, 'acquire' | 'recordError' | 'recordSuccess' | 'markExhausted' | 'disable' | 'refund'>;
  readonly youtube: Pick<YoutubeClient, 'search'>;
  readonly retry: RetrySettings;
}

/** Who makes the call: the run's logger, and a counter told of every call sent to YouTube. */
export interface SearchCaller {
  readonly log: Logger;
  readonly countCall: () => void;
}

export type SearchCall = (request: SearchRequest, caller: SearchCaller) => Promise<SearchPage>;

const SEARCH = METHOD_COST['search.list'];

export function createSearchCall({ pool, youtube, retry }: SearchCallDeps): SearchCall {
  /** Resolves when the same call should go on with another key; throws to retry or give up. */
  async function settleFailure(lease: KeyLease, error: unknown, log: Logger): Promise<void> {
    const failure = error instanceof YoutubeApiError ? error : new YoutubeApiError('transient', null, 'unknown', 'YouTube call failed');
    await pool.recordError(lease.key, failure.kind, failure.message);
    switch (failure.kind) {
      case 'quota':
        await pool.markExhausted(lease.key, SEARCH.bucket);
        return; // the same call, with a key of another project
      case 'rejected':
        await pool.disable(lease.key, failure.reason);
        return;
      case 'request':
        throw new AbortError(failure);
      case 'unknown':
        // Retried with backoff like a transient failure, but the pool counts it: a key that
        // keeps getting such answers is set aside (recordError), never retried forever.
        log.warn({ key: lease.key.masked, status: failure.status, reason: failure.reason }, 'YouTube gave an unexplained answer, will retry');
        throw failure;
      case 'transient':
        if (neverReachedYoutube(failure)) await pool.refund(lease);
        log.warn({ key: lease.key.masked, status: failure.status, reason: failure.reason }, 'YouTube call failed, will retry');
        throw failure;
    }
  }

  /** One attempt: keys are taken until one answers, or an answer calls for a retry. */
  async function attempt(request: SearchRequest, caller: SearchCaller): Promise<SearchPage> {
    for (;;) {
      let lease: KeyLease;
      try {
        lease = await pool.acquire(SEARCH.bucket, SEARCH.cost);
      } catch (error) {
        throw new AbortError(error as Error);
      }
      caller.countCall();
      let page: SearchPage;
      try {
        page = await youtube.search(lease.key.secret, request);
      } catch (error) {
        await settleFailure(lease, error, caller.log);
        continue;
      }
      await pool.recordSuccess(lease.key);
      return page;
    }
  }

  return (request, caller) =>
    pRetry(() => attempt(request, caller), {
      retries: retry.retries,
      factor: 2,
      minTimeout: retry.minDelayMs,
      maxTimeout: retry.maxDelayMs,
      randomize: true,
    });
}
