// Closing a BullMQ worker within a grace period: the running jobs may finish until then, after
// which they are abandoned (their locks expire, BullMQ runs them again as stalled; every job
// here is idempotent, so nothing is lost or done twice).
import type { Worker } from 'bullmq';
import { withTimeout } from '@tubefeed/core';

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
