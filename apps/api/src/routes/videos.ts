// GET /videos (cursor listing) and GET /videos/search (full-text search). Both answer
// {"items": [...], "nextCursor": "..." | null}; pass nextCursor back as `cursor` for the next page.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { VideoPageSchema, type CatalogService } from '@tubefeed/core';
import { channelParam, errorResponses, queryParam } from '../schemas/common.js';

const filters = {
  query: queryParam('Only videos found by this followed search query'),
  channel: channelParam('a YouTube channel id (letters, digits, _ and -)'),
  publishedAfter: Type.Optional(Type.String({ format: 'date-time', description: 'Published at or after (ISO 8601)' })),
  publishedBefore: Type.Optional(Type.String({ format: 'date-time', description: 'Published at or before (ISO 8601)' })),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'Videos per page' }),
  cursor: Type.Optional(
    Type.String({ minLength: 1, maxLength: 600, description: 'The previous page’s nextCursor; omit for the first page' }),
  ),
};

const ListQuery = Type.Object(
  {
    ...filters,
    sort: Type.Union([Type.Literal('newest'), Type.Literal('oldest')], { default: 'newest', description: 'Order by publish time' }),
  },
  { additionalProperties: false },
);

const SearchQuery = Type.Object(
  {
    q: Type.String({
      minLength: 1,
      maxLength: 200,
      description:
        'Words to find in titles and descriptions: every word must match, as a word or a word prefix, in any order, ' +
        'ignoring case, accents and punctuation',
      examples: ['tea how'],
    }),
    ...filters,
    sort: Type.Union([Type.Literal('relevance'), Type.Literal('newest'), Type.Literal('oldest')], {
      default: 'relevance',
      description: 'relevance puts title matches first, then newer videos',
    }),
  },
  { additionalProperties: false },
);

export const videoRoutes: FastifyPluginAsyncTypebox<{ catalog: CatalogService }> = async (app, { catalog }) => {
  app.get(
    '/videos',
    {
      schema: {
        tags: ['videos'],
        summary: 'Stored videos by keyset pagination',
        description:
          'The same cost at any depth. A reader paging while new videos arrive sees none twice and skips none. ' +
          'A cursor that was altered or belongs to other parameters answers 400.',
        querystring: ListQuery,
        response: { 200: VideoPageSchema, ...errorResponses },
      },
    },
    async (request, reply) => reply.type('application/json; charset=utf-8').send(await catalog.list(request.query)),
  );

  app.get(
    '/videos/search',
    {
      schema: {
        tags: ['videos'],
        summary: 'Full-text search over titles and descriptions',
        description:
          'Characters that mean something to MySQL boolean mode are searched as plain text. An empty or ' +
          'all-punctuation q, or one over 200 characters, answers 400.',
        querystring: SearchQuery,
        response: { 200: VideoPageSchema, ...errorResponses },
      },
    },
    async (request, reply) => reply.type('application/json; charset=utf-8').send(await catalog.search(request.query)),
  );
  return Promise.resolve();
};
