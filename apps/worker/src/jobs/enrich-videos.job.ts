// Processor of the enrich-videos queue: one enrichment run (core's enrich-service.ts). A run
// with nothing to do, no budget or no usable key completes with that outcome and its reason
// (visible in Bull Board); a failure is thrown, and BullMQ retries the job with backoff: the
// batches the run stored are not asked for again.
import type { Job } from 'bullmq';
import type { EnrichJobData, EnrichRunResult, EnrichService, Logger } from '@tubefeed/core';

export interface EnrichVideosJobDeps {
  readonly enrich: Pick<EnrichService, 'run'>;
  readonly log: Logger;
  /** Aborted when the worker shuts down: the run stops after the batch it is on. */
  readonly signal?: AbortSignal;
  readonly onResult?: (result: EnrichRunResult) => void | Promise<void>;
}

export function enrichVideosProcessor({ enrich, log, signal, onResult }: EnrichVideosJobDeps) {
  return async (job: Job<EnrichJobData, EnrichRunResult>): Promise<EnrichRunResult> => {
    const result = await enrich.run(signal === undefined ? {} : { signal });
    if (result.units > 0) log.debug({ jobId: job.id, attempt: job.attemptsMade + 1, units: result.units }, 'enrichment job done');
    await onResult?.(result);
    return result;
  };
}
