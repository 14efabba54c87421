// Publish -> visible on /getData page 1, per video: the measurement the freshness scenario and
// the soak share. Each video's clock starts when the harness first sees it in the simulator's
// ground truth (in-process); it stops at the first page-1 answer that lists it. Both are
// polled by the caller, so each figure carries up to one poll interval of error.
//
// Phase: the simulator rounds publish times to whole seconds and BullMQ fires a 1 s schedule on
// whole seconds, so every video would appear just before a fetch and freshness would look like
// the run time alone. After each publish the simulator's clock is moved ahead by a (seeded)
// random part of the publish interval, so publishes fall at random points of the fetch cycle,
// as real uploads do.
import { createRandom, type YoutubeSimulator } from '@tubefeed/youtube-sim';

export interface FreshnessTrackerOptions {
  readonly sim: Pick<YoutubeSimulator, 'groundTruth' | 'advance'>;
  readonly query: string;
  /** `/getData?pageNo=1&limit=100` of the API under test. */
  readonly pageOneUrl: string;
  readonly publishIntervalMs: number;
  readonly seed?: number;
}

export interface FreshnessTracker {
  /** Records videos new in the ground truth (and moves the simulator's clock after a publish). */
  sampleGroundTruth(): void;
  /** Reads page 1 once and records which tracked videos it shows. */
  pollPageOne(): Promise<void>;
  /** Videos first seen in the ground truth since the tracker started. */
  seen(): number;
  /** Of those, the ones page 1 has shown. */
  visible(): number;
  /** Page-1 polls that did not answer 200, or got no answer. */
  apiErrors(): number;
  /** Publish -> visible in ms, one per visible video (0 when the API showed it first). */
  latencies(): number[];
}

export function createFreshnessTracker(options: FreshnessTrackerOptions): FreshnessTracker {
  const { sim, query, pageOneUrl, publishIntervalMs } = options;
  const groundTruthIds = () => sim.groundTruth(query).map((video) => video.videoId);
  // Videos published before the tracker started are not measured.
  const before = new Set(groundTruthIds());
  const firstSeen = new Map<string, number>();
  const visibleAt = new Map<string, number>();
  const random = createRandom(options.seed ?? 7);
  let errors = 0;

  return {
    sampleGroundTruth() {
      const tick = performance.now();
      let published = 0;
      for (const id of groundTruthIds()) {
        if (before.has(id) || firstSeen.has(id)) continue;
        firstSeen.set(id, tick);
        published++;
      }
      if (published > 0) sim.advance(Math.floor(random() * publishIntervalMs));
    },
    async pollPageOne() {
      let response: Response;
      try {
        response = await fetch(pageOneUrl, { signal: AbortSignal.timeout(10_000) });
      } catch {
        errors++; // No answer (refused, reset, timed out): an error of the API, counted like a 5xx.
        return;
      }
      const seenAt = performance.now();
      if (response.status !== 200) {
        errors++;
        await response.arrayBuffer();
        return;
      }
      const page = (await response.json()) as { videos: Array<{ video_id: string }> };
      for (const video of page.videos) if (!before.has(video.video_id) && !visibleAt.has(video.video_id)) visibleAt.set(video.video_id, seenAt);
    },
    seen: () => firstSeen.size,
    visible: () => [...firstSeen.keys()].filter((id) => visibleAt.has(id)).length,
    apiErrors: () => errors,
    latencies: () =>
      [...firstSeen].flatMap(([id, seen]) => {
        const visible = visibleAt.get(id);
        return visible === undefined ? [] : [Math.max(0, visible - seen)];
      }),
  };
}
