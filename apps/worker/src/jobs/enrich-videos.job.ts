// Processor of the enrich-videos queue: one enrichment run (core's enrich-service.ts). A run
// with nothing to do, no budget or no usable key completes with that outcome and its reason
// (visible in Bull Board); a failure is thrown, and BullMQ retries the job with backoff: the
// batches the run stored are not asked for again.
//
// Each stored batch renders its videos' JSON again (counts, live state, ...): after the run, the
// page-1 snapshots of the scopes that list a changed video are rebuilt, failed run or not. A
// rebuild that fails is retried after the next run (the scopes are kept until one succeeds).
import type { Job } from 'bullmq';
import type { EnrichJobData, EnrichRunResult, EnrichService, Logger, SnapshotWriter } from '@tubefeed/core';

export interface EnrichVideosJobDeps {
  readonly enrich: Pick<EnrichService, 'run'>;
  readonly log: Logger;
  /** Rebuilds page-1 snapshots (feed-snapshot.ts). */
  readonly snapshots?: Pick<SnapshotWriter, 'refresh'>;
  /** Aborted when the worker shuts down: the run stops after the batch it is on. */
  readonly signal?: AbortSignal;
  readonly onResult?: (result: EnrichRunResult) => void | Promise<void>;
}

export function enrichVideosProcessor({ enrich, log, snapshots, signal, onResult }: EnrichVideosJobDeps) {
  // Scopes whose snapshot shows JSON older than the stored one, until a rebuild succeeds.
  const stale = new Set<number>();

  async function refreshStale(): Promise<void> {
    if (snapshots === undefined || stale.size === 0) return;
    const scopes = [...stale];
    try {
      await snapshots.refresh(scopes);
      for (const scope of scopes) stale.delete(scope);
    } catch (error) {
      log.warn({ err: (error as Error).message, scopes }, 'page-1 snapshot refresh after enrichment failed; the next run retries it');
    }
  }

  return async (job: Job<EnrichJobData, EnrichRunResult>): Promise<EnrichRunResult> => {
    let result: EnrichRunResult;
    try {
      result = await enrich.run({
        ...(signal === undefined ? {} : { signal }),
        onStored: ({ scopes }) => {
          for (const scope of scopes) stale.add(scope);
        },
      });
    } finally {
      await refreshStale();
    }
    if (result.units > 0) log.debug({ jobId: job.id, attempt: job.attemptsMade + 1, units: result.units, rendered: result.rendered }, 'enrichment job done');
    await onResult?.(result);
    return result;
  };
}
