// The admin API, behind admin credentials: YouTube API keys (never shown in full) and the
// followed search queries, changed at run time without a restart. The shapes it answers with
// are core's (admin/admin-schemas.ts). Free text (a query, a key's label) is checked by core's
// operator-text rule, which the admin services apply and the schemas below describe; the
// schemas keep only the length bound as sent.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import {
  AdminKeyListSchema,
  AdminKeySchema,
  AdminQueryListSchema,
  AdminQuerySchema,
  KEY_LABEL_MAX_LENGTH,
  OPERATOR_TEXT_RULE,
  QUERY_TEXT_MAX_LENGTH,
  type KeyAdmin,
  type QueryAdmin,
} from '@tubefeed/core';
import { requireAdmin, type AdminGuard } from '../plugins/admin-auth.js';

const IdParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: 4_294_967_295, description: 'Id from the list' }) });
const AdminError = Type.Ref('ErrorBody');
const adminErrors = { 400: AdminError, 401: AdminError, 403: AdminError, 404: AdminError, 503: AdminError } as const;

/** Operator text: the rule is core's (checkOperatorText); a refusal is a 400 naming the field. */
const operatorText = (what: string, maxLength: number) =>
  Type.String({
    minLength: 1,
    maxLength,
    description: `${what}: ${OPERATOR_TEXT_RULE}; 1-${maxLength} characters (Unicode code points), as sent and after normalisation`,
  });
const KeyLabel = operatorText('A label for the key, shown in the admin list (default: the key masked)', KEY_LABEL_MAX_LENGTH);
const QueryText = operatorText('The search query, as it is sent to YouTube', QUERY_TEXT_MAX_LENGTH);

/** A Google Cloud project label: it never holds operator text that could break a log or a metric. */
const ProjectLabel = Type.String({
  pattern: '^[A-Za-z0-9_.-]{1,64}$',
  description: 'a label of the Google Cloud project the key belongs to: 1-64 letters, digits, _ . or -',
});

export const adminRoutes: FastifyPluginAsyncTypebox<{ guard: AdminGuard; keys: KeyAdmin; queries: QueryAdmin }> = async (
  app,
  { guard, keys, queries },
) => {
  requireAdmin(app, guard);
  const tags = ['admin'];

  app.get(
    '/admin/keys',
    { schema: { tags, summary: 'YouTube API keys and their quota state', response: { 200: AdminKeyListSchema, ...adminErrors } } },
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
            label: Type.Optional(KeyLabel),
            project: Type.Optional(ProjectLabel),
          },
          { additionalProperties: false },
        ),
        response: { 201: AdminKeySchema, 409: AdminError, 422: AdminError, ...adminErrors },
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
            label: Type.Optional(KeyLabel),
            project: Type.Optional(Type.Union([ProjectLabel, Type.Null()])),
          },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: { 200: AdminKeySchema, ...adminErrors },
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
    { schema: { tags, summary: 'Every search query, followed or not', response: { 200: AdminQueryListSchema, ...adminErrors } } },
    async () => ({ queries: await queries.list() }),
  );
  app.post(
    '/admin/queries',
    {
      schema: {
        tags,
        summary: 'Follow a search query (its fetch schedule starts at once)',
        description:
          '201 when the query starts being followed; 200 when it already was: the same text after normalisation, as MySQL compares ' +
          'it (utf8mb4_unicode_ci: case and accents ignored, so "Café" and "cafe" are one query). 400 naming text when it breaks the rule.',
        body: Type.Object({ text: QueryText }, { additionalProperties: false }),
        response: { 200: AdminQuerySchema, 201: AdminQuerySchema, ...adminErrors },
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
