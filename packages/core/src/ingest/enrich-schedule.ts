// When a video's details are read again: statistics change fast in a video's first hours and
// hardly at all after a month, so the interval grows with its age (since publication, or since
// a broadcast ended). A broadcast on air is read every 5 minutes; an upcoming one every 5
// minutes to an hour, depending on how soon it is scheduled to start. A video YouTube no longer
// returns is asked about again daily, in case its owner makes it public again.
import type { VideoLiveState } from '../catalog/video-details.js';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/** [age below which, read again after], in order; older than the last: every 30 days. */
export const REFRESH_BY_AGE: ReadonlyArray<readonly [ageBelowMs: number, everyMs: number]> = [
  [HOUR_MS, 15 * MINUTE_MS],
  [6 * HOUR_MS, HOUR_MS],
  [DAY_MS, 6 * HOUR_MS],
  [7 * DAY_MS, DAY_MS],
  [30 * DAY_MS, 7 * DAY_MS],
];
export const REFRESH_OLD_MS = 30 * DAY_MS;
export const REFRESH_LIVE_MS = 5 * MINUTE_MS;
export const REFRESH_UPCOMING_MAX_MS = HOUR_MS;
export const REFRESH_UNAVAILABLE_MS = DAY_MS;

export interface RefreshInput {
  readonly publishedAt: Date;
  /** Null: YouTube did not return the video (deleted, private). */
  readonly liveState: VideoLiveState | null;
  readonly scheduledStartAt?: Date | null;
  readonly actualEndAt?: Date | null;
}

/** How long until the video's details are read again, from `now`. */
export function refreshAfterMs(video: RefreshInput, now: Date): number {
  if (video.liveState === null) return REFRESH_UNAVAILABLE_MS;
  if (video.liveState === 'live') return REFRESH_LIVE_MS;
  if (video.liveState === 'upcoming') {
    const untilStart = (video.scheduledStartAt?.getTime() ?? now.getTime()) - now.getTime();
    return Math.min(REFRESH_UPCOMING_MAX_MS, Math.max(REFRESH_LIVE_MS, untilStart));
  }
  const since = Math.max(video.publishedAt.getTime(), video.actualEndAt?.getTime() ?? 0);
  const age = now.getTime() - since;
  return REFRESH_BY_AGE.find(([below]) => age < below)?.[1] ?? REFRESH_OLD_MS;
}

export const nextRefreshAt = (video: RefreshInput, now: Date): Date => new Date(now.getTime() + refreshAfterMs(video, now));
