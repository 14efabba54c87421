// Finds a channel an operator named (an id or an @handle) with channels.list, 1 unit of the
// units bucket charged through the key pool like every other call (youtube/pooled-call.ts: round
// robin over projects with units left, quota answers move on to another project, rejected keys
// are disabled, transient failures retry with backoff). Used by POST /admin/channels and by the
// worker for YOUTUBE_CHANNELS.
import { AbortError } from 'p-retry';
import type { ChannelRef } from '../platform/channel-ref.js';
import type { Logger } from '../platform/logger.js';
import type { ChannelClient, ChannelInfo } from './youtube/channel-client.js';
import type { KeyPool } from './youtube/key-pool.js';
import { createPooledCall, type RetrySettings } from './youtube/pooled-call.js';

export interface ChannelResolverDeps {
  readonly pool: Pick<KeyPool, 'acquire' | 'recordError' | 'recordSuccess' | 'markExhausted' | 'disable' | 'refund'>;
  readonly youtube: Pick<ChannelClient, 'channel'>;
  readonly retry: RetrySettings;
  readonly log: Logger;
  /** Told of every call sent (1 unit each). */
  readonly countCall?: () => void;
}

export type ChannelResolver = (ref: ChannelRef) => Promise<ChannelInfo | null>;

/** Resolves to the channel, or null when YouTube knows none; throws the pool's or YouTube's error unwrapped. */
export function createChannelResolver({ pool, youtube, retry, log, countCall }: ChannelResolverDeps): ChannelResolver {
  const call = createPooledCall({ pool, retry });
  return async (ref) => {
    try {
      return await call('channels.list', (secret) => youtube.channel(secret, ref), { log, countCall: countCall ?? (() => undefined) });
    } catch (error) {
      throw error instanceof AbortError ? error.originalError : error;
    }
  };
}
