// GET /videos (cursor listing) and GET /videos/search (full-text search). Both answer
// {"items": [...], "nextCursor": "..." | null}; pass nextCursor back as `cursor` for the next page.
// Sorts and filters are the same on both (core's catalog-service.ts and video-finder.ts).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { VideoPageSchema, type CatalogService } from '@tubefeed/core';
import { channelParam, errorResponses, queryParam } from '../schemas/common.js';

const filters = {
  query: queryParam('Only videos found by this followed search query'),
  channel: channelParam('a YouTube channel id (letters, digits, _ and -)'),
  publishedAfter: Type.Optional(Type.String({ format: 'date-time', description: 'Published at or after (ISO 8601)' })),
  publishedBefore: Type.Optional(Type.String({ format: 'date-time', description: 'Published at or before (ISO 8601)' })),
  minViews: Type.Optional(
    Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'At least this many views (videos whose views are not known yet are left out)' }),
  ),
  minDuration: Type.Optional(
    Type.Integer({ minimum: 0, maximum: 4294967295, description: 'At least this long, in seconds (videos whose duration is not known yet are left out)' }),
  ),
  maxDuration: Type.Optional(
    Type.Integer({ minimum: 0, maximum: 4294967295, description: 'At most this long, in seconds (videos whose duration is not known yet are left out)' }),
  ),
  live: Type.Optional(
    Type.Union([Type.Literal('none'), Type.Literal('upcoming'), Type.Literal('live'), Type.Literal('completed')], {
      description:
        'Live state: none (never live), upcoming (scheduled), live (on air now), completed (a broadcast that ended); ' +
        'videos whose state is not known yet are left out',
    }),
  ),
  language: Type.Optional(
    Type.String({
      pattern: '^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){0,3}$',
      description: 'a BCP 47 language tag such as en or pt-BR; a bare language also matches its regional variants',
      examples: ['en', 'pt-BR'],
    }),
  ),
  includeUnavailable: Type.Optional(
    Type.Boolean({ default: false, description: 'Also list videos YouTube no longer returns (deleted or made private)' }),
  ),
  order: Type.Optional(
    Type.Union([Type.Literal('desc'), Type.Literal('asc')], {
      description: 'Direction of sort=published, views, likes or duration (default desc); not with newest, oldest or relevance',
    }),
  ),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'Videos per page' }),
  cursor: Type.Optional(
    Type.String({ minLength: 1, maxLength: 600, description: 'The previous page’s nextCursor; omit for the first page' }),
  ),
};

const listSorts = [
  Type.Literal('newest'),
  Type.Literal('oldest'),
  Type.Literal('published'),
  Type.Literal('views'),
  Type.Literal('likes'),
  Type.Literal('duration'),
];

const ListQuery = Type.Object(
  {
    ...filters,
    sort: Type.Union(listSorts, {
      default: 'newest',
      description:
        'newest / oldest: publish time (the same as published with order=desc / asc); views, likes, duration: ' +
        'videos whose value is not known yet come last in both directions. Ties are broken by an internal id.',
    }),
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
    sort: Type.Union([Type.Literal('relevance'), ...listSorts], {
      default: 'relevance',
      description: 'relevance puts title matches first, then newer videos; the other sorts are those of /videos',
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
          'The same cost at any depth, for every sort. A reader paging while new videos arrive or statistics change ' +
          'sees none twice and skips none whose sort value did not change. Videos YouTube no longer returns are ' +
          'hidden unless includeUnavailable=true. A cursor that was altered or belongs to other parameters answers 400.',
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
