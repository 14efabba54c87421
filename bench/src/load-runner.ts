// Drives HTTP load with autocannon's programmatic API, in the harness process (a process of its
// own, apart from the server under test). Every response's latency is kept as a float from
// autocannon's 'response' event: its built-in histogram rounds to whole milliseconds, too
// coarse for the p99 ratios the targets compare.
import autocannon from 'autocannon';
import { percentile } from './latency-stats.js';

export interface LoadSpec {
  readonly url: string;
  readonly connections: number;
  /** Run for this long... */
  readonly durationS?: number;
  /** ...or until exactly this many requests were answered (every one completes). */
  readonly amount?: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** The status that counts as success; anything else is an error. */
  readonly expectStatus: number;
  /** Called as each request completes: its latency, or null for an error (another status, a socket error, a timeout). */
  readonly onComplete?: (latencyMs: number | null) => void;
  /** Ends the load early (what was answered until then is the result). */
  readonly stop?: AbortSignal;
}

export interface LoadResult {
  readonly requests: number;
  readonly reqPerSec: number;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  /** Responses with another status, plus connection errors and timeouts. */
  readonly errors: number;
  readonly statusCounts: Readonly<Record<string, number>>;
  readonly durationS: number;
}

export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const latencies: number[] = [];
  const statusCounts: Record<string, number> = {};
  let unexpected = 0;
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: spec.url,
        connections: spec.connections,
        ...(spec.amount === undefined ? { duration: spec.durationS ?? 10 } : { amount: spec.amount }),
        pipelining: 1,
        timeout: 10,
        ...(spec.headers === undefined ? {} : { headers: { ...spec.headers } }),
      },
      (error: unknown, done: autocannon.Result) => {
        if (error instanceof Error) reject(error);
        else if (error !== null && error !== undefined) reject(new Error(`autocannon failed: ${JSON.stringify(error)}`));
        else resolve(done);
      },
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      statusCounts[statusCode] = (statusCounts[statusCode] ?? 0) + 1;
      if (statusCode === spec.expectStatus) latencies.push(responseTime);
      else unexpected++;
      spec.onComplete?.(statusCode === spec.expectStatus ? responseTime : null);
    });
    if (spec.stop !== undefined) {
      if (spec.stop.aborted) instance.stop();
      else spec.stop.addEventListener('abort', () => instance.stop(), { once: true });
    }
    if (spec.onComplete !== undefined) {
      const onComplete = spec.onComplete;
      instance.on('reqError', () => onComplete(null));
    }
  });
  const requests = Object.values(statusCounts).reduce((sum, n) => sum + n, 0);
  return {
    requests,
    reqPerSec: requests / Math.max(result.duration, 0.001),
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    errors: unexpected + result.errors,
    statusCounts,
    durationS: result.duration,
  };
}

/** Warm-up: the same load, not counted (JIT, MySQL buffer pool, connection pools). */
export async function warmUp(spec: Omit<LoadSpec, 'durationS' | 'amount'>, durationS: number): Promise<void> {
  await runLoad({ ...spec, durationS });
}
