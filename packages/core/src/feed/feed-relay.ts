// Moves new-video events from MySQL's outbox (feed_events, written with the videos) to the push
// side's sinks: the Redis Stream log SSE clients read (feed-log.ts) and the webhook deliveries.
// Rows are marked relayed only after every sink took them, so a crash, a Redis outage or a
// failing sink delays events but never loses one; sinks take a repeated event as a no-op, so
// one relayed twice (a crash between taking and marking, or two workers relaying at once) is
// still delivered once.
//
// Every worker process runs a relay. Each drains whenever kicked (after a fetch run stored
// videos) and at least every `intervalMs`; relayed rows older than the log's retention are
// pruned about once a minute.
import type { FeedEventRepository } from '../catalog/feed-event-repository.js';
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import type { FeedEventSink } from './feed-events.js';

export interface FeedRelayDeps {
  readonly events: Pick<FeedEventRepository, 'pending' | 'markRelayed' | 'prune'>;
  readonly sinks: readonly FeedEventSink[];
  readonly clock: Clock;
  readonly log: Logger;
  /** Longest time between two drains. */
  readonly intervalMs: number;
  /** Relayed rows are kept this long (the log's retention), then pruned. */
  readonly retentionMs: number;
  /** Rows read per step (default 500). */
  readonly batchSize?: number;
  /** Called with each relayed batch's size and its events' store times (metrics). */
  readonly onRelayed?: (count: number, storedAt: readonly Date[]) => void;
}

export type FeedRelay = ReturnType<typeof createFeedRelay>;

const PRUNE_EVERY_MS = 60_000;

export function createFeedRelay({ events, sinks, clock, log, intervalMs, retentionMs, batchSize = 500, onRelayed }: FeedRelayDeps) {
  let running: Promise<number> | null = null;
  let again = false;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let lastPrune = Number.NEGATIVE_INFINITY;
  let failing = false;

  /** Relays every pending event; returns how many. Throws when a step fails (the rows stay pending). */
  async function drainOnce(): Promise<number> {
    let relayed = 0;
    for (;;) {
      const { events: batch, orphans } = await events.pending(batchSize);
      if (batch.length === 0 && orphans.length === 0) break;
      for (const sink of sinks) await sink.take(batch);
      await events.markRelayed([...batch.map((event) => event.seq), ...orphans], clock.now());
      relayed += batch.length;
      onRelayed?.(
        batch.length,
        batch.map((event) => event.storedAt),
      );
      if (batch.length + orphans.length < batchSize || stopped) break;
    }
    const now = clock.now().getTime();
    if (now - lastPrune >= PRUNE_EVERY_MS) {
      lastPrune = now;
      const pruned = await events.prune(new Date(now - retentionMs));
      if (pruned > 0) log.debug({ pruned }, 'relayed feed events pruned');
    }
    return relayed;
  }

  /** Drains now (or right after the drain under way); resolves when the events so far are relayed. */
  function drain(): Promise<number> {
    if (running !== null) {
      again = true;
      return running;
    }
    running = (async () => {
      let total = 0;
      do {
        again = false;
        try {
          total += await drainOnce();
          if (failing) log.info('feed events are relayed again');
          failing = false;
        } catch (error) {
          if (!failing) log.warn({ err: (error as Error).message }, 'could not relay feed events yet; they stay in the outbox and are retried');
          failing = true;
          break;
        }
      } while (again && !stopped);
      return total;
    })().finally(() => {
      running = null;
    });
    return running;
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      void drain().finally(schedule);
    }, intervalMs);
    timer.unref();
  }

  return {
    drain,
    /** Relays soon, without waiting (after a store). */
    kick(): void {
      if (!stopped) void drain();
    },
    start(): void {
      stopped = false;
      schedule();
      void drain();
    },
    async stop(): Promise<void> {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
