// The followed queries as the public sees them: last fetch, its outcome, and when the next
// one is planned (read from the query's Job Scheduler). Its shape: query-overview-schema.ts.
import type { Queue } from 'bullmq';
import { fetchSchedulerId, type FetchJobData } from '../ingest/fetch-queue.js';
import type { SearchQueryRepository } from '../catalog/search-query-repository.js';
import type { QueryOverview } from './query-overview-schema.js';

export function createQueryOverview({ queries, queue }: { queries: Pick<SearchQueryRepository, 'list'>; queue: Queue<FetchJobData> }) {
  async function followed(): Promise<QueryOverview[]> {
    const [rows, schedulers] = await Promise.all([queries.list({ enabledOnly: true }), queue.getJobSchedulers(0, -1)]);
    const byId = new Map(schedulers.map((s) => [s.key, s]));
    return rows.map((row) => {
      const scheduler = byId.get(fetchSchedulerId(row.id));
      return {
        id: row.id,
        text: row.text,
        lastFetchAt: row.last_fetch_at?.toISOString() ?? null,
        lastOutcome: row.last_outcome,
        lastError: row.last_error,
        lastNewVideos: row.last_new_videos,
        nextFetchAt: scheduler?.next === undefined ? null : new Date(scheduler.next).toISOString(),
        intervalMs: scheduler?.every ?? null,
      };
    });
  }
  return { followed };
}

export type QueryOverviewService = ReturnType<typeof createQueryOverview>;
