// The admin API, behind admin credentials: YouTube API keys (never shown in full) and the
// followed search queries, changed at run time without a restart.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { KeyAdmin, QueryAdmin } from '@tubefeed/core';
import { requireAdmin, type AdminGuard } from '../plugins/admin-auth.js';

// Dates leave as ISO 8601 strings (the serialiser formats them).
const DateTime = Type.Unsafe<Date>({ type: 'string', format: 'date-time' });
const nullableTime = Type.Union([DateTime, Type.Null()]);
const IdParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: 4_294_967_295, description: 'Id from the list' }) });
const AdminError = Type.Ref('ErrorBody');
const adminErrors = { 400: AdminError, 401: AdminError, 403: AdminError, 404: AdminError, 503: AdminError } as const;

const nullableText = Type.Union([Type.String(), Type.Null()]);
/** A Google Cloud project label: it never holds operator text that could break a log or a metric. */
const ProjectLabel = Type.String({
  pattern: '^[A-Za-z0-9_.-]{1,64}$',
  description: 'a label of the Google Cloud project the key belongs to: 1-64 letters, digits, _ . or -',
});
const Bucket = Type.Object({
  used: Type.Integer({ description: 'Spent in the current Pacific day (by our count, or all of it once YouTube said so)' }),
  limit: Type.Integer(),
  remaining: Type.Integer(),
  exhaustedUntil: nullableTime,
});

const AdminKey = Type.Object({
  id: Type.Integer(),
  fingerprint: Type.String({ description: 'Stable id of the key (a hash); the key itself is never returned' }),
  masked: Type.String({ examples: ['AIza…Xk3Q'] }),
  label: Type.String(),
  project: Type.Union([Type.String(), Type.Null()], {
    description: 'The Google Cloud project whose quota the key shares with its other keys; null: a project of its own',
  }),
  enabled: Type.Boolean(),
  origin: Type.String({ description: 'config (YOUTUBE_API_KEYS) or admin' }),
  state: Type.Union([Type.Literal('active'), Type.Literal('exhausted'), Type.Literal('suspect'), Type.Literal('rejected'), Type.Literal('disabled')], {
    description:
      "exhausted: its project's searches are spent until midnight Pacific time; suspect: set aside after answers no known error explains, " +
      'until the next quota day or an enable; rejected: refused by YouTube until an enable; disabled: switched off by an operator',
  }),
  addedAt: DateTime,
  exhaustedUntil: nullableTime,
  rejectedReason: nullableText,
  suspectReason: nullableText,
  suspectUntil: nullableTime,
  quota: Type.Object(
    { search: Bucket, units: Bucket },
    { description: "Its project's buckets today: search.list calls (search), and units of every other method (units)" },
  ),
  callsToday: Type.Object({ search: Type.Integer(), units: Type.Integer() }, { description: 'Calls made with this key today, by bucket' }),
  errorsToday: Type.Object({ quota: Type.Integer(), rejected: Type.Integer(), transient: Type.Integer(), request: Type.Integer(), unknown: Type.Integer() }),
  lastUsedAt: nullableTime,
  lastError: nullableText,
  lastErrorAt: nullableTime,
});

const AdminQuery = Type.Object({
  id: Type.Integer(),
  text: Type.String(),
  followed: Type.Boolean(),
  origin: Type.String({ description: 'config (SEARCH_QUERIES) or admin' }),
  createdAt: DateTime,
  lastFetchAt: nullableTime,
  lastOutcome: Type.Union([Type.String(), Type.Null()]),
  lastError: Type.Union([Type.String(), Type.Null()]),
});

export const adminRoutes: FastifyPluginAsyncTypebox<{ guard: AdminGuard; keys: KeyAdmin; queries: QueryAdmin }> = async (
  app,
  { guard, keys, queries },
) => {
  requireAdmin(app, guard);
  const tags = ['admin'];

  app.get(
    '/admin/keys',
    { schema: { tags, summary: 'YouTube API keys and their quota state', response: { 200: Type.Object({ keys: Type.Array(AdminKey) }), ...adminErrors } } },
    async () => ({ keys: await keys.list() }),
  );
  app.post(
    '/admin/keys',
    {
      schema: {
        tags,
        summary: "Add a key (checked with one videos.list call first: 1 unit of its project's units bucket, no search)",
        description: '422 when YouTube rejects the key (invalid, blocked, API not enabled), with the reason; 409 when it is already stored.',
        body: Type.Object(
          {
            key: Type.String({ minLength: 6, maxLength: 100, description: 'The API key' }),
            label: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
            project: Type.Optional(ProjectLabel),
          },
          { additionalProperties: false },
        ),
        response: { 201: AdminKey, 409: AdminError, 422: AdminError, ...adminErrors },
      },
    },
    async (request, reply) => reply.code(201).send(await keys.add(request.body.key, request.body.label, request.body.project)),
  );
  app.patch(
    '/admin/keys/:id',
    {
      schema: {
        tags,
        summary: 'Enable or disable a key, change its label, or say which project it belongs to (null: its own)',
        params: IdParams,
        body: Type.Object(
          {
            enabled: Type.Optional(Type.Boolean()),
            label: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
            project: Type.Optional(Type.Union([ProjectLabel, Type.Null()])),
          },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: { 200: AdminKey, ...adminErrors },
      },
    },
    async (request) => keys.update(request.params.id, request.body),
  );
  app.delete(
    '/admin/keys/:id',
    { schema: { tags, summary: 'Remove a key', params: IdParams, response: { 204: Type.Null(), ...adminErrors } } },
    async (request, reply) => {
      await keys.remove(request.params.id);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/admin/queries',
    { schema: { tags, summary: 'Every search query, followed or not', response: { 200: Type.Object({ queries: Type.Array(AdminQuery) }), ...adminErrors } } },
    async () => ({ queries: await queries.list() }),
  );
  app.post(
    '/admin/queries',
    {
      schema: {
        tags,
        summary: 'Follow a search query (its fetch schedule starts at once)',
        body: Type.Object({ text: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false }),
        response: { 200: AdminQuery, 201: AdminQuery, ...adminErrors },
      },
    },
    async (request, reply) => {
      const { query, created } = await queries.follow(request.body.text);
      return reply.code(created ? 201 : 200).send(query);
    },
  );
  app.delete(
    '/admin/queries/:id',
    {
      schema: {
        tags,
        summary: 'Stop following a query (its videos stay)',
        params: IdParams,
        response: { 204: Type.Null(), ...adminErrors },
      },
    },
    async (request, reply) => {
      await queries.drop(request.params.id);
      return reply.code(204).send(null);
    },
  );
  return Promise.resolve();
};
