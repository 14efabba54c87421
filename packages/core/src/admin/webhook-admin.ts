// Run-time management of webhooks (the admin API): register one for all new videos, a followed
// query's or a channel's, list them, delete one. The URL is held to the destination guard
// (feed/webhook-destination.ts) before anything is stored, its addresses resolved; the
// secret is stored for signing and never shown again, nor logged.
import type { SearchQueryRepository } from '../catalog/search-query-repository.js';
import { ALL_FEED, channelFeed, parseFeedKey, queryFeed, type FeedKey } from '../feed/feed-events.js';
import { checkWebhookDestination, WebhookDestinationError, type HostResolver } from '../feed/webhook-destination.js';
import type { WebhookRepository, WebhookRow } from '../feed/webhook-repository.js';
import { InvalidRequestError, NotFoundError } from '../platform/errors.js';
import type { Logger } from '../platform/logger.js';
import type { AdminWebhookView } from './admin-schemas.js';

/** What a secret may be: printable ASCII without spaces, long enough not to be guessed. */
export const WEBHOOK_SECRET_PATTERN = /^[\x21-\x7E]{16,200}$/;
export const WEBHOOK_SECRET_RULE = '16 to 200 printable ASCII characters, without spaces';
export const WEBHOOK_URL_MAX_LENGTH = 2048;
const CHANNEL_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export interface NewWebhook {
  readonly url: string;
  readonly secret: string;
  readonly query?: string | undefined;
  readonly channel?: string | undefined;
  readonly allowPrivateNetwork?: boolean | undefined;
}

export type WebhookAdmin = ReturnType<typeof createWebhookAdmin>;

export function createWebhookAdmin({
  webhooks,
  queries,
  log,
  resolve,
}: {
  webhooks: Pick<WebhookRepository, 'create' | 'list' | 'find' | 'remove'>;
  queries: Pick<SearchQueryRepository, 'findByText' | 'findById'>;
  log: Logger;
  /** Host resolution for the destination check (tests); the system's by default. */
  resolve?: HostResolver;
}) {
  async function view(row: WebhookRow): Promise<AdminWebhookView> {
    const feed = parseFeedKey(row.feed);
    const query = feed.kind === 'query' ? ((await queries.findById(feed.queryId))?.text ?? null) : null;
    return {
      id: row.id,
      url: row.url,
      feed: row.feed,
      query,
      channel: feed.kind === 'channel' ? feed.channelId : null,
      allowPrivateNetwork: row.allow_private_network === 1,
      createdAt: row.created_at,
    };
  }

  async function feedOf(query: string | undefined, channel: string | undefined): Promise<FeedKey> {
    if (query !== undefined && channel !== undefined) {
      throw new InvalidRequestError('query', 'query and channel cannot be combined: give one of them, or neither for all videos');
    }
    if (channel !== undefined) {
      if (!CHANNEL_ID_PATTERN.test(channel)) throw new InvalidRequestError('channel', 'channel must be a YouTube channel id (1-64 letters, digits, _ and -)');
      return channelFeed(channel);
    }
    if (query !== undefined) {
      const row = await queries.findByText(query);
      if (row === undefined || row.enabled !== 1) throw new InvalidRequestError('query', `query "${query.slice(0, 100)}" is not a followed search query`);
      return queryFeed(row.id);
    }
    return ALL_FEED;
  }

  async function create(request: NewWebhook): Promise<AdminWebhookView> {
    if (!WEBHOOK_SECRET_PATTERN.test(request.secret)) throw new InvalidRequestError('secret', `secret must be ${WEBHOOK_SECRET_RULE}`);
    if (request.url.length > WEBHOOK_URL_MAX_LENGTH) throw new InvalidRequestError('url', `url must be at most ${WEBHOOK_URL_MAX_LENGTH} characters`);
    const feed = await feedOf(request.query, request.channel);
    const allowPrivateNetwork = request.allowPrivateNetwork === true;
    let url: URL;
    try {
      url = await checkWebhookDestination(request.url, allowPrivateNetwork, resolve === undefined ? {} : { resolve });
    } catch (error) {
      if (error instanceof WebhookDestinationError) throw new InvalidRequestError('url', error.message);
      throw error;
    }
    if (url.href.length > WEBHOOK_URL_MAX_LENGTH) throw new InvalidRequestError('url', `url must be at most ${WEBHOOK_URL_MAX_LENGTH} characters once normalised`);
    const row = await webhooks.create({ url: url.href, feed, secret: request.secret, allowPrivateNetwork });
    log.info({ webhookId: row.id, host: url.host, feed, allowPrivateNetwork }, 'webhook registered');
    return view(row);
  }

  async function list(): Promise<AdminWebhookView[]> {
    return Promise.all((await webhooks.list()).map(view));
  }

  async function remove(id: number): Promise<void> {
    if (!(await webhooks.remove(id))) throw new NotFoundError(`no webhook with id ${id}`);
    log.info({ webhookId: id }, 'webhook deleted; its pending deliveries end unsent');
  }

  return { create, list, remove };
}
