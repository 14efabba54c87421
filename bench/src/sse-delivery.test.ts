// The sse-clients group's bookkeeping without thousands of connections: the event-stream
// parser the client processes use, how clients are spread over them, and the exactly-once
// check and latencies from their reports.
import { describe, expect, it } from 'vitest';
import { cpuSplit } from './cpu-meter.js';
import { shareClients } from './sse-clients.js';
import { deliveryFigures, type StoredVideo } from './sse-delivery.js';
import { sseParser, type SseClientReport, type SseEvent } from './sse-protocol.js';

describe('sseParser', () => {
  it('yields each complete event once, however the text is cut into chunks', () => {
    const text =
      'retry: 2000\n\n' +
      'id: g.0-0\nevent: ready\ndata: {}\n\n' +
      ':\n\n' +
      'id: g.1-0\nevent: video\ndata: {"video_id":"abcdefghijk"}\n\n' +
      'id: g.2-0\nevent: reset\ndata: {"reason":"trimmed"}\n\n';
    const expected: SseEvent[] = [
      { name: 'ready', data: '{}' },
      { name: 'video', data: '{"video_id":"abcdefghijk"}' },
      { name: 'reset', data: '{"reason":"trimmed"}' },
    ];
    for (const size of [1, 2, 3, 7, 13, text.length]) {
      const events: SseEvent[] = [];
      const parse = sseParser((event) => events.push(event));
      for (let i = 0; i < text.length; i += size) parse(text.slice(i, i + size));
      expect(events, `chunks of ${size}`).toEqual(expected);
    }
  });

  it('holds back an event until its blank line arrives, and joins multi-line data', () => {
    const events: SseEvent[] = [];
    const parse = sseParser((event) => events.push(event));
    parse('event: video\ndata: a\ndata: b\n');
    expect(events).toEqual([]);
    parse('\ndata: plain\n\n');
    expect(events).toEqual([
      { name: 'video', data: 'a\nb' },
      { name: 'message', data: 'plain' },
    ]);
  });
});

describe('shareClients', () => {
  it('spreads the clients as evenly as possible, never over more processes than clients', () => {
    expect(shareClients(5000, 4)).toEqual([1250, 1250, 1250, 1250]);
    expect(shareClients(10, 4)).toEqual([3, 3, 2, 2]);
    expect(shareClients(2, 4)).toEqual([1, 1]);
  });
});

describe('cpuSplit with a group of processes', () => {
  it('sums the group and leaves it out of the rest of the machine', () => {
    const sample = (atMs: number, busyS: number, byPid: Array<[number, number]>) => ({ atMs, busyS, byPid: new Map(byPid) });
    const before = sample(0, 100, [[1, 10], [2, 5], [3, 5]]);
    const after = sample(1000, 101.5, [[1, 10.5], [2, 5.25], [3, 5.5]]);
    expect(cpuSplit(before, after, { server: 1, clients: [2, 3], none: [] })).toEqual({ server: 50, clients: 75, none: null, otherCpuPct: 25 });
  });
});

describe('deliveryFigures', () => {
  const ids = ['v1', 'v2'];
  const stored: StoredVideo[] = [
    { videoId: 'v1', committedAtMs: 1000, relayedAtMs: 1004 },
    { videoId: 'v2', committedAtMs: 2000, relayedAtMs: 2010 },
  ];
  const report = (overrides: Partial<SseClientReport> = {}): SseClientReport => ({
    clients: 2,
    connected: 2,
    ready: 2,
    failures: 0,
    failureSamples: [],
    closedEarly: 0,
    resets: 0,
    unexpectedVideos: 0,
    malformed: 0,
    videoIds: ids,
    arrivals: [
      [1010, 1020],
      [2030, 2040],
    ],
    counts: [
      [1, 1],
      [1, 1],
    ],
    ...overrides,
  });

  it('times every (client, video) pair from the commit, over every process', () => {
    const figures = deliveryFigures(ids, stored, [report(), report({ arrivals: [[1050, 1060], [2070, 2080]] })]);
    expect(figures).toMatchObject({ clients: 4, videos: 2, pairs: 8, deliveredOnce: 8, missing: 0, repeated: 0, problems: [] });
    // Latencies 10, 20, 30, 40, 50, 60, 70, 80.
    expect(figures).toMatchObject({ p50Ms: 40, p99Ms: 80, maxMs: 80, minMs: 10, relayP50Ms: 4, relayP99Ms: 10 });
    // v1: first 10, last 60; v2: first 30, last 80 (nearest rank: the lower of two).
    expect(figures).toMatchObject({ firstArrivalP50Ms: 10, lastArrivalP50Ms: 60 });
  });

  it('counts a pair never received, or received twice, as a problem', () => {
    const figures = deliveryFigures(ids, stored, [
      report({
        arrivals: [
          [1010, null],
          [2030, 2040],
        ],
        counts: [
          [1, 0],
          [2, 1],
        ],
      }),
    ]);
    expect(figures).toMatchObject({ pairs: 4, deliveredOnce: 2, missing: 1, repeated: 1 });
    expect(figures.problems).toEqual(['1 of 4 (client, video) pairs never arrived', '1 (client, video) pairs arrived more than once']);
  });

  it('counts a video that could not be stored as missing for every client', () => {
    const figures = deliveryFigures(['v1', 'v2', 'v3'], stored, [report()]);
    expect(figures).toMatchObject({ pairs: 6, deliveredOnce: 4, missing: 2 });
    expect(figures.problems).toContain('1 of 3 videos could not be stored');
  });

  it('reports streams that failed, closed or were reset, and shows other writers\' videos without failing', () => {
    const figures = deliveryFigures(ids, stored, [report({ failures: 1, ready: 1, closedEarly: 1, resets: 2, malformed: 1, unexpectedVideos: 5 })]);
    expect(figures.problems).toEqual([
      '1 streams could not be opened',
      '1 clients never got their ready event',
      '1 streams were closed by the server',
      '2 reset events',
      '1 video events without a video\'s JSON',
    ]);
    expect(figures.unexpectedVideos).toBe(5);
    expect(deliveryFigures(ids, stored, [report({ unexpectedVideos: 5 })]).problems).toEqual([]);
  });
});
