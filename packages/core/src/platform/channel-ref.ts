// How an operator names a YouTube channel (POST /admin/channels, YOUTUBE_CHANNELS): by its id
// ("UC" + 22 letters, digits, _ or -) or by its @handle (3-30 letters, digits, _, - or .). Here,
// below config and the admin API alike, so both hold entries to one rule.

/** A channel named by its id (UC…) or its @handle (kept without the @). */
export type ChannelRef = { readonly kind: 'id'; readonly channelId: string } | { readonly kind: 'handle'; readonly handle: string };

const CHANNEL_ID = /^UC[A-Za-z0-9_-]{22}$/;
const HANDLE = /^@[\p{L}\p{N}._-]{3,30}$/u;

/** What the rule says, for messages. */
export const CHANNEL_REF_RULE = 'a channel id (UC followed by 22 letters, digits, _ or -) or an @handle (@ and 3-30 letters, digits, _, - or .)';

/** Reads a channel id or an @handle; null when it is neither. */
export function parseChannelRef(text: string): ChannelRef | null {
  const value = text.trim();
  if (CHANNEL_ID.test(value)) return { kind: 'id', channelId: value };
  if (HANDLE.test(value)) return { kind: 'handle', handle: value.slice(1) };
  return null;
}
