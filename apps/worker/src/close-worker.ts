// Closing a BullMQ worker within a grace period: the running jobs may finish until then, after
// which they are abandoned (their locks expire, BullMQ runs them again as stalled; every job
// here is idempotent, so nothing is lost or done twice).
import type { Worker } from 'bullmq';
import { withTimeout, type Logger } from '@tubefeed/core';

/** Closes `worker`, waiting up to `graceMs` for its running jobs; true when they were abandoned. */
export async function closeWorkerWithin(worker: Pick<Worker, 'close'>, graceMs: number): Promise<boolean> {
  const graceful = worker.close();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([
    graceful.then(() => false),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), graceMs);
    }),
  ]);
  clearTimeout(timer);
  // With Redis unreachable BullMQ's close would wait for a connection that never comes.
  if (timedOut) await withTimeout(worker.close(true), 1000, 'worker close').catch(() => undefined);
  return timedOut;
}

export interface QueueRuntimeParts {
  readonly worker: Pick<Worker, 'close'>;
  readonly queue: { close(): Promise<void> };
  /** The runtime's own Redis connections, disconnected last. */
  readonly connections: ReadonlyArray<{ disconnect(): void }>;
}

/**
 * Stops a queue's runtime: its worker within `graceMs` (`onAbandoned` is told when running jobs
 * had to be left), then its queue and connections. With Redis unreachable BullMQ's close would
 * wait for a connection that never comes, hence the bounded waits.
 */
export async function closeQueueRuntime({ worker, queue, connections }: QueueRuntimeParts, graceMs: number, onAbandoned: () => void): Promise<void> {
  if (await closeWorkerWithin(worker, graceMs)) onAbandoned();
  await withTimeout(queue.close(), 2000, 'queue close').catch(() => undefined);
  for (const connection of connections) connection.disconnect();
}

/**
 * Logs a queue worker's failures alike for every queue: an attempt that will be retried as a
 * warning, a job out of attempts as an error, a worker error as an error.
 */
export function logWorkerFailures<Data>(
  worker: Pick<Worker<Data>, 'on'>,
  log: Pick<Logger, 'warn' | 'error'>,
  say: { readonly retrying: string; readonly failed: string; readonly error: string; readonly fields?: (data: Data) => Record<string, unknown> },
): void {
  worker.on('failed', (job, error) => {
    if (job === undefined) return;
    const fields = { jobId: job.id, ...say.fields?.(job.data), attempt: job.attemptsMade, err: error.message };
    if (job.finishedOn !== undefined) log.error(fields, say.failed);
    else log.warn(fields, say.retrying);
  });
  worker.on('error', (error) => log.error({ err: error.message }, say.error));
}
