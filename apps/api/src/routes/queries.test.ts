// GET /queries answers core's FollowedQueries shape: every field the schema names, in its
// order, and nothing else, for queries never fetched and fetched alike.
import { Value } from 'typebox/value';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FollowedQueriesSchema, ManualClock, QueryOverviewSchema, createSearchQueryRepository, type FollowedQueries } from '@tubefeed/core';
import { createTestDatabase, type TestDatabase } from '@tubefeed/core/testing';
import { buildTestApi, type TestApi } from '../testing/test-api.js';

const clock = new ManualClock('2024-06-01T00:00:00Z');
let db: TestDatabase;
let api: TestApi;

beforeAll(async () => {
  db = await createTestDatabase();
  api = await buildTestApi({ databaseUrl: db.url, clock });
  const queries = createSearchQueryRepository({ db: db.kysely, clock });
  await queries.follow('never fetched');
  const fetched = await queries.follow('café "olé" \\ </script>');
  clock.set('2024-06-01T00:05:00.123Z');
  await queries.recordOutcome(fetched.id, 'quota_exhausted', 'every key "out" of quota', 7);
  const dropped = await queries.follow('dropped');
  await queries.unfollow(dropped.id);
});

afterAll(async () => {
  await api.close();
  await db.drop();
});

describe('GET /queries', () => {
  it('answers the schema: its fields in its order, valid by it, nothing more', async () => {
    const response = await api.app.inject({ method: 'GET', url: '/queries' });
    expect(response.statusCode).toBe(200);
    const body = response.json<FollowedQueries>();
    expect(Value.Check(FollowedQueriesSchema, body)).toBe(true);
    // Re-serialising the parsed body gives the same bytes: no field the schema does not order.
    expect(response.body).toBe(JSON.stringify(body));
    const fields = Object.keys(QueryOverviewSchema.properties);
    for (const query of body.queries) expect(Object.keys(query)).toEqual(fields);
    const byText = new Map(body.queries.map((q) => [q.text, q]));
    expect([...byText.keys()].sort()).toEqual(['café "olé" \\ </script>', 'never fetched']);
    expect(byText.get('never fetched')).toMatchObject({ lastFetchAt: null, lastOutcome: null, lastError: null, lastNewVideos: null });
    expect(byText.get('café "olé" \\ </script>')).toMatchObject({
      lastFetchAt: '2024-06-01T00:05:00.123Z',
      lastOutcome: 'quota_exhausted',
      lastError: 'every key "out" of quota',
      lastNewVideos: 7,
    });
  });
});
