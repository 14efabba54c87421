// What videos.list tells of a stored video beyond its search snippet (the units bucket's
// enrichment, ingest/enrichment/): full description, tags, category, language, duration,
// definition, captions, statistics, live state and times, made-for-kids. Plain values, already
// parsed from YouTube's shapes (ingest/youtube/video-details-parse.ts).

/**
 * A video's broadcast state: `none` (an ordinary upload), `upcoming` (scheduled, not started),
 * `live` (on air now), `completed` (a broadcast that has ended). The listing's `live` filter
 * (video-finder.ts) takes the same four values.
 */
export type VideoLiveState = 'none' | 'upcoming' | 'live' | 'completed';

export interface VideoDetails {
  readonly videoId: string;
  /** The description whole (a search snippet cuts it to ~160 characters). */
  readonly descriptionFull: string;
  readonly tags: readonly string[];
  readonly categoryId: string | null;
  /** snippet.defaultLanguage, else snippet.defaultAudioLanguage (BCP-47), null when neither is set. */
  readonly defaultLanguage: string | null;
  /** Seconds; 0 while a broadcast is upcoming or live (YouTube says P0D); null when unreadable. */
  readonly durationS: number | null;
  readonly definition: 'hd' | 'sd' | null;
  readonly hasCaptions: boolean | null;
  readonly madeForKids: boolean | null;
  readonly viewCount: number | null;
  /** Null when the owner hides it. */
  readonly likeCount: number | null;
  /** Null when comments are off. */
  readonly commentCount: number | null;
  readonly liveState: VideoLiveState;
  readonly scheduledStartAt: Date | null;
  readonly actualStartAt: Date | null;
  readonly actualEndAt: Date | null;
}
