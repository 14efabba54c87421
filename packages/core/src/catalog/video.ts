// A video as the service understands it, independent of where it came from (YouTube, the
// simulator, the demo seed). Text fields are plain text: HTML entities already decoded.
export interface VideoThumbnails {
  readonly default: string | null;
  readonly medium: string | null;
  readonly high: string | null;
}

export interface VideoInput {
  readonly videoId: string;
  readonly title: string;
  readonly description: string;
  readonly channelId: string;
  readonly channelTitle: string;
  readonly publishedAt: Date;
  readonly thumbnails: VideoThumbnails;
  readonly liveBroadcastContent: string;
}

export const youtubeWatchUrl = (videoId: string): string => `https://www.youtube.com/watch?v=${videoId}`;
