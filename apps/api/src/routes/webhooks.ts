// The admin API's webhooks, behind admin credentials: register an endpoint (with a secret and
// the feed it wants), list them, delete one. The secret is write-only: no answer ever carries
// it. The rules (destination guard, secret, query/channel) are core's (admin/webhook-admin.ts);
// the schemas below describe them and refuse what is malformed before core is asked.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { channelParam, queryParam } from '../schemas/common.js';
import { AdminWebhookListSchema, AdminWebhookSchema, WEBHOOK_SECRET_RULE, WEBHOOK_URL_MAX_LENGTH, type WebhookAdmin } from '@tubefeed/core';
import { requireAdmin, type AdminGuard } from '../plugins/admin-auth.js';

const IdParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: 4_294_967_295, description: 'Id from the list' }) });
const AdminError = Type.Ref('ErrorBody');
const adminErrors = { 400: AdminError, 401: AdminError, 403: AdminError, 404: AdminError, 503: AdminError } as const;

const NewWebhook = Type.Object(
  {
    url: Type.String({
      minLength: 1,
      maxLength: WEBHOOK_URL_MAX_LENGTH,
      description:
        'Where to POST each new video: https:// on a public address (every address its host resolves to is checked). ' +
        'Loopback, private, link-local, unique-local, carrier-grade NAT and cloud metadata destinations are refused unless allowPrivateNetwork is true.',
      examples: ['https://example.com/hooks/tubefeed'],
    }),
    secret: Type.String({
      minLength: 16,
      maxLength: 200,
      pattern: '^[!-~]{16,200}$',
      description: `${WEBHOOK_SECRET_RULE}: the key of every delivery's HMAC-SHA256 signature (Tubefeed-Signature), never shown again`,
    }),
    query: queryParam('Only the new videos of this followed search query; not with channel'),
    channel: channelParam('a YouTube channel id (1-64 letters, digits, _ and -): only its new videos are delivered; not with query'),
    allowPrivateNetwork: Type.Optional(
      Type.Boolean({ description: 'Allow loopback, private and link-local destinations, and http:, for a receiver inside your network (default false)' }),
    ),
  },
  { additionalProperties: false },
);

export const webhookRoutes: FastifyPluginAsyncTypebox<{ guard: AdminGuard; webhooks: WebhookAdmin }> = async (app, { guard, webhooks }) => {
  requireAdmin(app, guard);
  const tags = ['admin'];

  app.get(
    '/admin/webhooks',
    { schema: { tags, summary: 'Registered webhooks (never their secrets)', response: { 200: AdminWebhookListSchema, ...adminErrors } } },
    async () => ({ webhooks: await webhooks.list() }),
  );
  app.post(
    '/admin/webhooks',
    {
      schema: {
        tags,
        summary: 'Register a webhook: each new video of all videos, a followed query or a channel is POSTed to it, signed',
        description:
          'Each delivery is a JSON POST `{"id", "type": "video.created", "feed", "storedAt", "video"}` (video as `/videos` lists it) with the ' +
          'headers `Tubefeed-Delivery` (the idempotency id, the same on every attempt), `Tubefeed-Event` and `Tubefeed-Signature: t=<unix seconds>,v1=<hex>`, ' +
          'where v1 is HMAC-SHA256(secret, "<t>.<raw body>"). A non-2xx answer, a network error or a timeout is retried with exponential backoff ' +
          'for WEBHOOK_RETRY_FOR_MS (24 h by default); redirects are not followed. 400 naming the field: a URL refused by the destination guard, ' +
          'a short secret, query and channel together, a query that is not followed.',
        body: NewWebhook,
        response: { 201: AdminWebhookSchema, ...adminErrors },
      },
    },
    async (request, reply) => reply.code(201).send(await webhooks.create(request.body)),
  );
  app.delete(
    '/admin/webhooks/:id',
    {
      schema: {
        tags,
        summary: 'Delete a webhook (its pending deliveries end unsent)',
        params: IdParams,
        response: { 204: Type.Null(), ...adminErrors },
      },
    },
    async (request, reply) => {
      await webhooks.remove(request.params.id);
      return reply.code(204).send(null);
    },
  );
  return Promise.resolve();
};
