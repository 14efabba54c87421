// GET /queries: the followed search queries, their last fetch and the next planned one.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { FollowedQueriesSchema, type QueryOverviewService } from '@tubefeed/core';
import { errorResponses } from '../schemas/common.js';

export const queryRoutes: FastifyPluginAsyncTypebox<{ overview: QueryOverviewService }> = async (app, { overview }) => {
  app.get(
    '/queries',
    {
      schema: {
        tags: ['queries'],
        summary: 'Followed search queries with their last and next fetch',
        response: { 200: FollowedQueriesSchema, ...errorResponses },
      },
    },
    async () => ({ queries: await overview.followed() }),
  );
  return Promise.resolve();
};
