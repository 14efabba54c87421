// GET /queries: the followed search queries, their last fetch and the next planned one.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { QueryOverviewService } from '@tubefeed/core';
import { errorResponses } from '../schemas/common.js';

const nullableTime = Type.Union([Type.String({ format: 'date-time' }), Type.Null()]);

const QueryList = Type.Object({
  queries: Type.Array(
    Type.Object({
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
    }),
  ),
});

export const queryRoutes: FastifyPluginAsyncTypebox<{ overview: QueryOverviewService }> = async (app, { overview }) => {
  app.get(
    '/queries',
    {
      schema: {
        tags: ['queries'],
        summary: 'Followed search queries with their last and next fetch',
        response: { 200: QueryList, ...errorResponses },
      },
    },
    async () => ({ queries: await overview.followed() }),
  );
  return Promise.resolve();
};
