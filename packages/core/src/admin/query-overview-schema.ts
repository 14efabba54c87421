// The public shape of the followed queries (`GET /queries`), written once as a JSON Schema
// (TypeBox): the type below, the API's response schema and serialiser, and the dashboard's
// type all come from it. Imports nothing but TypeBox, so browser code can import its types.
import { Type, type Static } from 'typebox';

const nullableTime = Type.Union([Type.String({ format: 'date-time' }), Type.Null()]);

/** One followed query: its last fetch and the next planned one. */
export const QueryOverviewSchema = Type.Object({
  id: Type.Integer(),
  text: Type.String(),
  lastFetchAt: nullableTime,
  lastOutcome: Type.Union([Type.String(), Type.Null()], {
    description: 'ok, partial (ranges still to backfill), quota_exhausted, no_keys, keys_disabled, keys_suspect or failed',
  }),
  lastError: Type.Union([Type.String(), Type.Null()]),
  lastNewVideos: Type.Union([Type.Integer(), Type.Null()]),
  nextFetchAt: nullableTime,
  intervalMs: Type.Union([Type.Integer(), Type.Null()]),
});
export type QueryOverview = Static<typeof QueryOverviewSchema>;

/** The `/queries` body. */
export const FollowedQueriesSchema = Type.Object({ queries: Type.Array(QueryOverviewSchema) });
export type FollowedQueries = Static<typeof FollowedQueriesSchema>;
