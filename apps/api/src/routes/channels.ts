// The admin API's followed channels, behind admin credentials: follow a channel by its id or
// @handle (found with channels.list, 1 unit of the units bucket), list them with their last poll,
// stop following one (its videos stay). The rules are core's (admin/channel-admin.ts); the
// schemas below describe them and refuse what is malformed before core is asked.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AdminChannelListSchema, AdminChannelSchema, CHANNEL_REF_RULE, type ChannelAdmin } from '@tubefeed/core';
import { requireAdmin, type AdminGuard } from '../plugins/admin-auth.js';

const IdParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: 4_294_967_295, description: 'Id from the list' }) });
const AdminError = Type.Ref('ErrorBody');
const adminErrors = { 400: AdminError, 401: AdminError, 403: AdminError, 404: AdminError, 503: AdminError } as const;

const NewChannel = Type.Object(
  {
    channel: Type.String({ minLength: 1, maxLength: 64, description: `The channel to follow: ${CHANNEL_REF_RULE}`, examples: ['UC_x5XG1OV2P6uZZ5FSM9Ttw', '@GoogleDevelopers'] }),
  },
  { additionalProperties: false },
);

export const channelRoutes: FastifyPluginAsyncTypebox<{ guard: AdminGuard; channels: ChannelAdmin }> = async (app, { guard, channels }) => {
  requireAdmin(app, guard);
  const tags = ['admin'];

  app.get(
    '/admin/channels',
    { schema: { tags, summary: 'Followed channels with their last poll, and how polling is paced now', response: { 200: AdminChannelListSchema, ...adminErrors } } },
    async () => channels.list(),
  );
  app.post(
    '/admin/channels',
    {
      schema: {
        tags,
        summary: "Follow a channel: its uploads playlist is polled (1 unit a page) and every public upload stored",
        description:
          'The channel is looked up with channels.list (1 unit of the units bucket) unless it is already known. 201 when it starts being ' +
          'followed, 200 when it already was. 400 naming channel when it is neither a channel id nor an @handle, or YouTube knows no such ' +
          'channel; 503 when YouTube cannot be asked now (no key, units spent, YouTube away). Its first poll, within seconds, stores its ' +
          'whole uploads playlist; its videos are in the c:<channel id> feed (webhooks, /videos/stream) and in `channel=` listings.',
        body: NewChannel,
        response: { 200: AdminChannelSchema, 201: AdminChannelSchema, ...adminErrors },
      },
    },
    async (request, reply) => {
      const { channel, created } = await channels.follow(request.body.channel);
      return reply.code(created ? 201 : 200).send(channel);
    },
  );
  app.delete(
    '/admin/channels/:id',
    {
      schema: {
        tags,
        summary: 'Stop following a channel (its videos stay)',
        params: IdParams,
        response: { 204: Type.Null(), ...adminErrors },
      },
    },
    async (request, reply) => {
      await channels.drop(request.params.id);
      return reply.code(204).send(null);
    },
  );
  return Promise.resolve();
};
