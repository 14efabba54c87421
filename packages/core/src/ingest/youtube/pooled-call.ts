// One YouTube call made through the key pool, whatever the method: every attempt takes a key
// from the pool (round robin over projects with quota left in the method's bucket) and charges
// it before the call, as YouTube charges failed calls too. A quota answer exhausts that
// project's bucket until Pacific midnight and the same call moves to the next key; a rejected
// key is disabled; transient failures retry with exponential backoff; an unexplained answer is
// retried too, and sets its key aside as suspect after a few (key-pool.ts); when no project has
// quota left in the bucket the call fails without being made. Searches (search-call.ts) and
// videos.list enrichment (enrichment/) both go through here.
import pRetry, { AbortError } from 'p-retry';
import type { Logger } from '../../platform/logger.js';
import type { KeyLease, KeyPool } from './key-pool.js';
import { METHOD_COST } from './quota-buckets.js';
import { YoutubeApiError, neverReachedYoutube } from './youtube-errors.js';

export interface RetrySettings {
  /** Retries of a call after a transient or unexplained failure (rate limit, 5xx, timeout, network). */
  readonly retries: number;
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
}

export type PooledMethod = keyof typeof METHOD_COST;

export interface PooledCallDeps {
  readonly pool: Pick<KeyPool, 'acquire' | 'recordError' | 'recordSuccess' | 'markExhausted' | 'disable' | 'refund'>;
  readonly retry: RetrySettings;
}

/** Who makes the call: its logger, and a counter told of every call sent to YouTube. */
export interface PooledCaller {
  readonly log: Logger;
  readonly countCall: () => void;
  /** Units of the bucket to leave untouched in every project (acquire's reserve); default none. */
  readonly reserve?: number;
}

/** Makes `call` with a key of the pool, as described above; `call` gets the key's secret. */
export type PooledCall = <T>(method: PooledMethod, call: (secret: string) => Promise<T>, caller: PooledCaller) => Promise<T>;

export function createPooledCall({ pool, retry }: PooledCallDeps): PooledCall {
  /** Resolves when the same call should go on with another key; throws to retry or give up. */
  async function settleFailure(method: PooledMethod, lease: KeyLease, error: unknown, log: Logger): Promise<void> {
    const failure = error instanceof YoutubeApiError ? error : new YoutubeApiError('transient', null, 'unknown', 'YouTube call failed');
    await pool.recordError(lease.key, failure.kind, failure.message);
    switch (failure.kind) {
      case 'quota':
        await pool.markExhausted(lease.key, METHOD_COST[method].bucket);
        return; // the same call, with a key of another project
      case 'rejected':
        await pool.disable(lease.key, failure.reason);
        return;
      case 'request':
        throw new AbortError(failure);
      case 'unknown':
        // Retried with backoff like a transient failure, but the pool counts it: a key that
        // keeps getting such answers is set aside (recordError), never retried forever.
        log.warn({ key: lease.key.masked, method, status: failure.status, reason: failure.reason }, 'YouTube gave an unexplained answer, will retry');
        throw failure;
      case 'transient':
        if (neverReachedYoutube(failure)) await pool.refund(lease);
        log.warn({ key: lease.key.masked, method, status: failure.status, reason: failure.reason }, 'YouTube call failed, will retry');
        throw failure;
    }
  }

  /** One attempt: keys are taken until one answers, or an answer calls for a retry. */
  async function attempt<T>(method: PooledMethod, call: (secret: string) => Promise<T>, caller: PooledCaller): Promise<T> {
    const { bucket, cost } = METHOD_COST[method];
    for (;;) {
      let lease: KeyLease;
      try {
        lease = await pool.acquire(bucket, cost, caller.reserve === undefined ? {} : { reserve: caller.reserve });
      } catch (error) {
        throw new AbortError(error as Error);
      }
      caller.countCall();
      let result: T;
      try {
        result = await call(lease.key.secret);
      } catch (error) {
        await settleFailure(method, lease, error, caller.log);
        continue;
      }
      await pool.recordSuccess(lease.key);
      return result;
    }
  }

  return (method, call, caller) =>
    pRetry(() => attempt(method, call, caller), {
      retries: retry.retries,
      factor: 2,
      minTimeout: retry.minDelayMs,
      maxTimeout: retry.maxDelayMs,
      randomize: true,
    });
}
