// GET /feeds/videos.atom: the newest videos of all, a followed query or a channel, as Atom 1.0
// for feed readers. The entries are what `/videos` lists (the same service, filters and
// errors), rendered by core's atom-feed.ts; readers poll with If-None-Match or
// If-Modified-Since and get 304 while nothing changed.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import {
  InvalidRequestError,
  atomFeedEtag,
  notModified,
  renderAtomFeed,
  type AtomScope,
  type CatalogService,
  type VideoPage,
} from '@tubefeed/core';
import { channelParam, errorResponses, queryParam } from '../schemas/common.js';

const AtomQuery = Type.Object(
  {
    query: queryParam('Only videos found by this followed search query'),
    channel: channelParam('Only this YouTube channel’s videos (letters, digits, _ and -); not with query'),
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 50, description: 'Entries in the feed' }),
  },
  { additionalProperties: false },
);

const ATOM_TYPE = 'application/atom+xml; charset=utf-8';
// Readers may keep the document but must ask again each time: the ETag makes that cheap.
const CACHE_CONTROL = 'no-cache';

const header = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value.join(',') : value);

export const atomFeedRoutes: FastifyPluginAsyncTypebox<{ catalog: CatalogService }> = async (app, { catalog }) => {
  app.get(
    '/feeds/videos.atom',
    {
      schema: {
        tags: ['feed'],
        summary: 'The newest videos as an Atom 1.0 feed',
        description:
          'The newest `limit` videos of all stored videos, of a followed search query (`query`) or of a channel ' +
          '(`channel`), newest first. `query` and `channel` together answer 400, as does a query that is not followed. ' +
          'Carries ETag and Last-Modified; If-None-Match (which wins when both are sent) or If-Modified-Since answer 304 ' +
          'while the feed is unchanged.',
        querystring: AtomQuery,
        response: {
          200: {
            description: 'An Atom 1.0 document (RFC 4287) with Media RSS thumbnails',
            content: { 'application/atom+xml': { schema: Type.String() } },
          },
          304: { description: 'Not modified since the validators the request carries', type: 'null' },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const { query, channel, limit } = request.query;
      if (query !== undefined && channel !== undefined) {
        throw new InvalidRequestError('query', 'query and channel cannot be combined: give one of them, or neither for all videos');
      }
      const scope: AtomScope =
        query !== undefined ? { kind: 'query', query } : channel !== undefined ? { kind: 'channel', channel } : { kind: 'all' };
      const body = await catalog.list({ query, channel, limit, sort: 'newest' });
      const etag = atomFeedEtag(scope, limit, body);
      const { items } = JSON.parse(body.toString('utf8')) as VideoPage;
      // The newest change to any entry as stored (a video found late, a title edited), not the
      // newest publish time: otherwise If-Modified-Since would miss changes below the top.
      const lastModified = await catalog.lastChanged(items.map((video) => video.video_id));
      reply.header('etag', etag).header('cache-control', CACHE_CONTROL);
      if (lastModified !== null) reply.header('last-modified', lastModified.toUTCString());
      const conditional = { ifNoneMatch: header(request.headers['if-none-match']), ifModifiedSince: header(request.headers['if-modified-since']) };
      if (notModified(conditional, { etag, lastModified })) return reply.code(304).send(null);
      const origin = `${request.protocol}://${request.host}`;
      const xml = renderAtomFeed({ scope, videos: items, selfUrl: `${origin}${request.url}`, alternateUrl: `${origin}/` });
      return reply.type(ATOM_TYPE).send(xml);
    },
  );
  return Promise.resolve();
};
