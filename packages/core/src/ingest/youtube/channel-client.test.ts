import { describe, expect, it } from 'vitest';
import { parseChannelRef } from '../../platform/channel-ref.js';
import { toUploadVideo } from './channel-client.js';

const thumbnails = { default: { url: 'https://i.ytimg.com/vi/abcdefghijk/default.jpg' }, medium: { url: 'm' }, high: { url: 'h' } };

describe('toUploadVideo', () => {
  it("takes the video's own publish time (contentDetails.videoPublishedAt), not when it joined the playlist, and decodes entities", () => {
    const video = toUploadVideo({
      snippet: {
        publishedAt: '2024-06-01T12:00:05Z',
        channelId: 'UC_x5XG1OV2P6uZZ5FSM9Ttw',
        title: 'Tea &amp; cake &#39;24',
        description: 'full &quot;text&quot;',
        thumbnails,
        channelTitle: 'Channel &amp; Co',
        resourceId: { kind: 'youtube#video', videoId: 'abcdefghijk' },
        videoOwnerChannelId: 'UC_x5XG1OV2P6uZZ5FSM9Ttw',
        videoOwnerChannelTitle: 'Channel &amp; Co',
      },
      contentDetails: { videoId: 'abcdefghijk', videoPublishedAt: '2024-06-01T11:00:00.000Z' },
      status: { privacyStatus: 'public' },
    });
    expect(video).toEqual({
      videoId: 'abcdefghijk',
      title: "Tea & cake '24",
      description: 'full "text"',
      channelId: 'UC_x5XG1OV2P6uZZ5FSM9Ttw',
      channelTitle: 'Channel & Co',
      publishedAt: new Date('2024-06-01T11:00:00Z'),
      thumbnails: { default: 'https://i.ytimg.com/vi/abcdefghijk/default.jpg', medium: 'm', high: 'h' },
      liveBroadcastContent: 'none',
    });
  });

  it('skips the placeholders private and deleted uploads leave in the playlist', () => {
    // As YouTube lists them: no videoPublishedAt, no thumbnails, a placeholder title.
    const placeholder = (title: string, privacyStatus: string) => ({
      snippet: { publishedAt: '2024-06-01T12:00:00Z', channelId: 'UC_x5XG1OV2P6uZZ5FSM9Ttw', title, description: `This video is ${title.split(' ')[0]!.toLowerCase()}.`, thumbnails: {}, resourceId: { kind: 'youtube#video', videoId: 'zyxwvutsrqp' } },
      contentDetails: { videoId: 'zyxwvutsrqp' },
      status: { privacyStatus },
    });
    expect(toUploadVideo(placeholder('Private video', 'private'))).toBeNull();
    expect(toUploadVideo(placeholder('Deleted video', 'privacyStatusUnspecified'))).toBeNull();
    // Even with a publish time, a private item is not stored.
    expect(toUploadVideo({ ...placeholder('Private video', 'private'), contentDetails: { videoId: 'zyxwvutsrqp', videoPublishedAt: '2024-06-01T11:00:00Z' } })).toBeNull();
  });
});

describe('parseChannelRef', () => {
  it('reads channel ids and @handles, and nothing else', () => {
    expect(parseChannelRef(' UC_x5XG1OV2P6uZZ5FSM9Ttw ')).toEqual({ kind: 'id', channelId: 'UC_x5XG1OV2P6uZZ5FSM9Ttw' });
    expect(parseChannelRef('@GoogleDevelopers')).toEqual({ kind: 'handle', handle: 'GoogleDevelopers' });
    expect(parseChannelRef('@tea.time-42')).toEqual({ kind: 'handle', handle: 'tea.time-42' });
    for (const bad of ['', 'GoogleDevelopers', '@ab', 'UC_x5XG1OV2P6uZZ5FSM9Tt', 'UU_x5XG1OV2P6uZZ5FSM9Ttw', '@a b c', 'https://www.youtube.com/@GoogleDevelopers', `@${'x'.repeat(31)}`]) {
      expect(parseChannelRef(bad), bad).toBeNull();
    }
  });
});
