// /metrics after the worker has fetched and the API has served: the figures are there, and no
// key ever is.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { until } from '@tubefeed/core/testing';
import { startStack, type Stack } from './stack.js';

const auth = { authorization: `Basic ${Buffer.from('admin:metrics-pw').toString('base64')}` };
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ sim: { seed: 9, keys: [{}, {}] }, env: { ADMIN_PASSWORD: 'metrics-pw', QUOTA_PACING: 'off' } });
  await until('the first fetch run', () => (stack.results.length > 0 ? true : undefined));
});
afterAll(async () => {
  await stack.close();
});

function sample(text: string, name: string, labels = ''): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `) || (labels === '' && l.startsWith(`${name} `)));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
}

it('exposes requests, fetch runs, stored videos, calls and units per masked key, key states, reset, interval, freshness', async () => {
  expect(stack.results[0]).toMatchObject({ outcome: 'ok' });
  await stack.api.app.inject({ method: 'GET', url: '/getData?limit=5' });
  await stack.api.app.inject({ method: 'GET', url: '/getData?limit=5' });
  const response = await stack.api.app.inject({ method: 'GET', url: '/metrics', headers: auth });
  expect(response.statusCode).toBe(200);
  expect(response.headers['content-type']).toMatch(/^text\/plain; version=0.0.4/);
  const text = response.body;

  expect(sample(text, 'tubefeed_fetch_runs_total', '{outcome="ok"}')).toBeGreaterThanOrEqual(1);
  expect(sample(text, 'tubefeed_videos_inserted_total')).toBe(stack.results.reduce((sum, r) => sum + r.inserted, 0));
  const callsByKey = text.split('\n').filter((l) => l.startsWith('tubefeed_youtube_search_calls_total{'));
  const masked = stack.sim.apiKeys().map((key) => `sim-…${key.slice(-4)}`);
  expect(callsByKey.map((l) => /key="([^"]+)"/.exec(l)![1]).every((label) => masked.includes(label!))).toBe(true);
  const totalCalls = callsByKey.reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
  expect(totalCalls).toBe(stack.results.reduce((sum, r) => sum + r.searchCalls, 0));
  // Each key is a project of its own: its search bucket spent by the calls made with it, of 100.
  const searchesByProject = text.split('\n').filter((l) => l.startsWith('tubefeed_youtube_quota_used{') && l.includes('bucket="search"'));
  expect(searchesByProject.map((l) => /project="own:([^"]+)"/.exec(l)![1]).sort()).toEqual([...masked].sort());
  expect(searchesByProject.reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0)).toBe(totalCalls);
  expect(sample(text, 'tubefeed_youtube_quota_limit', `{project="own:${masked[0]!}",bucket="search"}`)).toBe(100);
  expect(sample(text, 'tubefeed_youtube_quota_limit', `{project="own:${masked[0]!}",bucket="units"}`)).toBe(10_000);
  expect(sample(text, 'tubefeed_youtube_keys', '{state="ok"}')).toBe(2);
  const reset = sample(text, 'tubefeed_youtube_quota_reset_seconds')!;
  expect(reset).toBeGreaterThan(0);
  expect(reset).toBeLessThanOrEqual(25 * 3600);
  expect(sample(text, 'tubefeed_fetch_interval_seconds', '{query="cricket"}')).toBe(10);
  expect(sample(text, 'tubefeed_feed_freshness_seconds', '{query="cricket"}')).toBeGreaterThanOrEqual(0);
  expect(sample(text, 'tubefeed_page1_requests_total', '{source="snapshot"}')).toBe(2);
  expect(text).toMatch(/^http_request_duration_seconds_count\{method="GET",route="\/getData",status_code="200"\} 2$/m);
  expect(text).toContain('tubefeed_fetch_job_failures_total 0');
  for (const key of stack.sim.apiKeys()) expect(text).not.toContain(key);
});

it('needs admin credentials when served on the API port', async () => {
  expect((await stack.api.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
});

it('Bull Board shows the query schedulers and completed fetch jobs', async () => {
  const schedulers = await stack.api.app.inject({ method: 'GET', url: '/admin/queues/api/job-schedulers', headers: auth });
  expect(schedulers.statusCode).toBe(200);
  const listed = schedulers.json<{ schedulers: Array<{ id: string; every: number; template: { data: unknown } }> }>().schedulers;
  // The query's fetch scheduler, and the enrichment's and channel polling's one each.
  expect(listed.map((s) => s.id).sort()).toEqual(['enrich-videos', 'fetch-query-1', 'poll-channels']);
  const fetch = listed.find((s) => s.id === 'fetch-query-1')!;
  expect([fetch.every, fetch.template.data]).toEqual([10_000, { queryId: 1, query: 'cricket' }]);
  const queues = await stack.api.app.inject({ method: 'GET', url: '/admin/queues/api/queues', headers: auth });
  const fetchQueue = queues.json<{ queues: Array<{ name: string; counts: { completed: number } }> }>().queues[0]!;
  expect(fetchQueue.name).toBe('fetch');
  expect(fetchQueue.counts.completed).toBeGreaterThanOrEqual(1);
  for (const key of stack.sim.apiKeys()) expect(schedulers.body + queues.body).not.toContain(key);
});
