// GET /getData: the established feed contract (newest first, by page number). The body is
// produced by core as ready JSON, identical whichever path (snapshot or database) served it.
import etag from '@fastify/etag';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { FeedPageSchema, type FeedService } from '@tubefeed/core';
import { errorResponses } from '../schemas/common.js';

export const MAX_PAGE_NO = 1_000_000_000;

const GetDataQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 10, description: 'Videos per page' }),
    pageNo: Type.Integer({ minimum: 1, maximum: MAX_PAGE_NO, default: 1, description: 'Page number, from 1' }),
    query: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: 'Only videos found by this followed search query' }),
    ),
    channel: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        description: 'Only videos of this followed channel, by its id (UC…) or @handle; not with `query`',
        examples: ['UCddiUEpeqJcYeBxX1IVBKvQ', '@verge'],
      }),
    ),
  },
  { additionalProperties: false },
);

export const feedRoutes: FastifyPluginAsyncTypebox<{ feed: FeedService }> = async (app, { feed }) => {
  // Validators on feed responses, never a hash of the body: page 1 carries the snapshot's ETag,
  // deeper pages one made from their rows' stored hashes (feed-service.ts). A client that polls
  // with If-None-Match gets 304.
  await app.register(etag);
  app.get(
    '/getData',
    {
      schema: {
        tags: ['feed'],
        summary: 'Stored videos, newest first, by page',
        description:
          'A page past the end answers 200 with an empty `videos` array and the true totals. ' +
          'Invalid parameters answer 400 with a message naming the parameter and its allowed range.',
        querystring: GetDataQuery,
        response: { 200: FeedPageSchema, ...errorResponses },
      },
      // `_` is the cache-busting parameter browser libraries append (jQuery's `cache: false`):
      // dropped before validation, so such clients are not refused as sending an unknown one.
      preValidation: (request, _reply, done) => {
        delete (request.query as Record<string, unknown>)._;
        done();
      },
    },
    async (request, reply) => {
      const { limit, pageNo, query, channel } = request.query;
      const page = await feed.getPage({ limit, pageNo, query, channel });
      if (page.etag !== null) reply.header('etag', page.etag);
      return reply.type('application/json; charset=utf-8').send(page.body);
    },
  );
};
