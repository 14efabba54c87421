// Small builders for test data. Deterministic: the same arguments give the same video.
import type { VideoInput } from '../catalog/video.js';

let counter = 0;

/** An 11-character YouTube-shaped id, unique within the process. */
export function fakeVideoId(seed?: number): string {
  const n = seed ?? ++counter;
  return `v${n.toString(36).padStart(10, '0')}`.slice(0, 11);
}

export function videoInput(overrides: Partial<Omit<VideoInput, 'publishedAt'>> & { publishedAt?: Date | string } = {}): VideoInput {
  const videoId = overrides.videoId ?? fakeVideoId();
  const { publishedAt, ...rest } = overrides;
  return {
    videoId,
    title: `Video ${videoId}`,
    description: `Description of ${videoId}`,
    channelId: 'UCchannel0000000000000001',
    channelTitle: 'Channel One',
    publishedAt: new Date(publishedAt ?? '2024-05-01T12:00:00Z'),
    thumbnails: {
      default: `https://i.ytimg.com/vi/${videoId}/default.jpg`,
      medium: `https://i.ytimg.com/vi/${videoId}/mqdefault.jpg`,
      high: `https://i.ytimg.com/vi/${videoId}/hqdefault.jpg`,
    },
    liveBroadcastContent: 'none',
    ...rest,
  };
}
