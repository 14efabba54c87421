// Processor of the fetch queue: one fetch run for the job's query, then a page-1 snapshot
// refresh when the run stored anything. A failure no retry can fix (YouTube rejecting our
// request as malformed) becomes UnrecoverableError so BullMQ does not retry it. What follows a
// run (snapshot, metrics, pacing) never fails the job: a retry would spend another search for
// nothing. A snapshot refresh that failed is done with the next run instead.
import { UnrecoverableError, type Job } from 'bullmq';
import {
  ALL_VIDEOS_SCOPE,
  YoutubeApiError,
  type FetchJobData,
  type FetchRunResult,
  type FetchService,
  type Logger,
  type SnapshotWriter,
} from '@tubefeed/core';

export interface FetchVideosJobDeps {
  readonly fetch: Pick<FetchService, 'run'>;
  readonly snapshots: Pick<SnapshotWriter, 'refresh'>;
  readonly log: Logger;
  /** Searches per hour a query may spend on sweeps for late-indexed videos now (fetch-service.ts). */
  readonly sweepSearchesPerHour: () => number;
  /** Called after every run, for metrics and pacing. */
  readonly onResult?: (result: FetchRunResult) => void | Promise<void>;
}

export function fetchVideosProcessor({ fetch, snapshots, log, sweepSearchesPerHour, onResult }: FetchVideosJobDeps) {
  // Scopes whose snapshot is behind what is stored (a refresh failed).
  const stale = new Set<number>();

  return async (job: Job<FetchJobData>): Promise<FetchRunResult> => {
    let result: FetchRunResult;
    try {
      result = await fetch.run(job.data.queryId, { sweepSearchesPerHour: sweepSearchesPerHour() });
    } catch (error) {
      if (error instanceof YoutubeApiError && error.kind === 'request') throw new UnrecoverableError(error.message);
      throw error;
    }
    if (result.inserted + result.updated + result.linked + result.outsideWindow > 0) {
      stale.add(ALL_VIDEOS_SCOPE);
      stale.add(job.data.queryId);
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
