// Processor of the fetch queue: one fetch run for the job's query under the query's fetch lease,
// then a page-1 snapshot refresh when the run stored anything. A job whose query is being
// fetched by another job right now (a scheduler tick that came while the previous run goes on,
// on this worker or another) ends at once as skipped: the running fetch covers the same
// ground. A failure no retry can fix (YouTube rejecting our request as malformed) becomes
// UnrecoverableError so BullMQ does not retry it. What follows a run (snapshot, metrics, pacing)
// never fails the job: a retry would spend another search for nothing. A snapshot refresh that
// failed is done with the next run instead.
import { UnrecoverableError, type Job } from 'bullmq';
import {
  ALL_VIDEOS_SCOPE,
  YoutubeApiError,
  idleRunResult,
  systemClock,
  type FetchJobData,
  type FetchLeases,
  type FetchRunResult,
  type FetchService,
  type Logger,
  type SnapshotWriter,
} from '@tubefeed/core';

export interface FetchVideosJobDeps {
  readonly fetch: Pick<FetchService, 'run'>;
  readonly snapshots: Pick<SnapshotWriter, 'refresh'>;
  /** Per-query leases; the fetch service's state writes are fenced by the same instance. */
  readonly leases: Pick<FetchLeases, 'acquire'>;
  readonly log: Logger;
  /** Searches per hour a query may spend on sweeps for late-indexed videos now (fetch-service.ts). */
  readonly sweepSearchesPerHour: () => Promise<number>;
  /** Called after every run, for metrics and pacing. */
  readonly onResult?: (result: FetchRunResult) => void | Promise<void>;
  /** Called when a job is skipped because another job is fetching its query. */
  readonly onBusy?: (queryId: number) => void | Promise<void>;
}

export function fetchVideosProcessor({ fetch, snapshots, leases, log, sweepSearchesPerHour, onResult, onBusy }: FetchVideosJobDeps) {
  // Scopes whose snapshot is behind what is stored (a refresh failed).
  const stale = new Set<number>();

  return async (job: Job<FetchJobData>, token?: string): Promise<FetchRunResult> => {
    const { queryId } = job.data;
    const claim = await leases.acquire(queryId, job.id ?? job.name, token);
    if (!claim.acquired) {
      log.info({ jobId: job.id, queryId, heldBy: claim.heldBy }, 'query is being fetched by another job; this one is skipped');
      try {
        await onBusy?.(queryId);
      } catch (error) {
        log.warn({ err: error }, 'could not count a skipped job');
      }
      // Nothing done, nothing spent.
      return idleRunResult(queryId, 'skipped', systemClock);
    }
    const { lease } = claim;
    const leasedAt = Date.now();
    let result: FetchRunResult;
    try {
      const budget = await sweepSearchesPerHour();
      result = await lease.runUnder(() => fetch.run(queryId, { sweepSearchesPerHour: budget }));
    } catch (error) {
      if (error instanceof YoutubeApiError && error.kind === 'request') throw new UnrecoverableError(error.message);
      throw error;
    } finally {
      // The state is written: what follows needs no lease. Not released (Redis away), it
      // expires after its TTL. The debug line gives each run's span (epoch ms), whichever
      // worker ran it, for checking that a query's runs never overlapped.
      log.debug({ jobId: job.id, queryId, leasedAt, releasedAt: Date.now() }, 'fetch lease released');
      await lease.release().catch((error: unknown) => log.warn({ queryId, err: (error as Error).message }, 'could not release a fetch lease'));
    }
    // Notify: the run says whether it wrote videos readers see.
    if (result.videosChanged) {
      stale.add(ALL_VIDEOS_SCOPE);
      stale.add(queryId);
      for (const scope of result.channelScopes) stale.add(scope);
    }
    if (stale.size > 0) {
      const scopes = [...stale];
      try {
        await snapshots.refresh(scopes);
        for (const scope of scopes) stale.delete(scope);
      } catch (error) {
        log.warn({ err: error, scopes }, 'page-1 snapshot refresh failed; the next run retries it');
      }
    }
    try {
      await onResult?.(result);
    } catch (error) {
      log.warn({ err: error }, 'after-run bookkeeping (metrics, pacing) failed');
    }
    return result;
  };
}
