// Many Server-Sent Events clients in a process of their own (the sse-clients group): in the
// harness's process they would share its event loop with the measured page-1 requests, and on
// the API's cores they are what a real audience costs the machine anyway.
//
// `node sse-client.js --url U --clients N --expect ID,ID,... --out FILE [--open-concurrency K]`
// opens N streams to U (K at a time: each next one once an earlier one got its `ready`), prints
// SSE_READY when all have it, SSE_DELIVERED once every client has every expected video, and
// SSE_FAILED at the first connection that fails. On SIGTERM it closes them, writes what it saw
// (sse-protocol.ts SseClientReport) to FILE as JSON and exits.
import { request } from 'node:http';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { SSE_DELIVERED, SSE_FAILED, SSE_READY, sseParser, type SseClientReport } from './sse-protocol.js';

/** Wall-clock time with sub-millisecond precision, comparable with the harness's. */
const wallClockMs = () => performance.timeOrigin + performance.now();

/** How the video JSON (catalog/video-json.ts) starts. */
const ID_PREFIX = '{"video_id":"';
const CHECK_EVERY = 50;

interface Client {
  readonly index: number;
  destroy(): void;
}

function main(): void {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      clients: { type: 'string' },
      expect: { type: 'string' },
      out: { type: 'string' },
      'open-concurrency': { type: 'string', default: '100' },
    },
    strict: true,
  });
  if (values.url === undefined || values.clients === undefined || values.expect === undefined || values.out === undefined) {
    throw new Error('usage: sse-client --url URL --clients N --expect ID,ID,... --out FILE [--open-concurrency K]');
  }
  const url = new URL(values.url);
  const total = Number(values.clients);
  const openConcurrency = Number(values['open-concurrency']);
  const out = values.out;
  const videoIds = values.expect.split(',').filter((id) => id !== '');
  const videoIndex = new Map(videoIds.map((id, i) => [id, i]));

  const arrivals = videoIds.map(() => new Float64Array(total).fill(Number.NaN));
  const counts = videoIds.map(() => new Uint16Array(total));
  // Expected videos each client still lacks; a client is complete at 0.
  const missing = new Int32Array(total).fill(videoIds.length);
  let incomplete = videoIds.length === 0 ? 0 : total;
  let connected = 0;
  let ready = 0;
  let failures = 0;
  const failureSamples: string[] = [];
  let closedEarly = 0;
  let resets = 0;
  let unexpectedVideos = 0;
  let malformed = 0;
  let stopping = false;
  let opened = 0;
  const clients: Client[] = [];

  const fail = (index: number, message: string) => {
    failures++;
    if (failureSamples.length < 5) failureSamples.push(`client ${index}: ${message}`);
    if (failures === 1) process.stdout.write(`${SSE_FAILED}${message}\n`);
  };

  const onVideo = (index: number, data: string, at: number) => {
    // The id where the API's serializer puts it (first), so the thousands of receipts of one
    // event cost little here and what is timed is the server's delivery, not this process's
    // parsing; every CHECK_EVERY-th client parses each event in full and checks it agrees.
    const end = data.startsWith(ID_PREFIX) ? data.indexOf('"', ID_PREFIX.length) : -1;
    let videoId: unknown = end === -1 ? undefined : data.slice(ID_PREFIX.length, end);
    if (index % CHECK_EVERY === 0) {
      try {
        const parsed = (JSON.parse(data) as { video_id?: unknown }).video_id;
        if (parsed !== videoId) videoId = undefined;
      } catch {
        videoId = undefined;
      }
    }
    if (typeof videoId !== 'string') {
      malformed++;
      return;
    }
    const v = videoIndex.get(videoId);
    if (v === undefined) {
      unexpectedVideos++;
      return;
    }
    const seen = ++counts[v]![index]!;
    if (seen > 1) return;
    arrivals[v]![index] = at;
    if (--missing[index]! === 0 && --incomplete === 0) process.stdout.write(`${SSE_DELIVERED}\n`);
  };

  function open(index: number): void {
    let gotReady = false;
    let finished = false;
    const req = request(url, { agent: false, headers: { accept: 'text/event-stream' } });
    const client: Client = { index, destroy: () => req.destroy() };
    clients.push(client);
    const becameReady = () => {
      if (gotReady) return;
      gotReady = true;
      ready++;
      if (ready === total) process.stdout.write(`${SSE_READY} ${ready}\n`);
      openNext();
    };
    // Called by whichever of the request's error and the response's close comes first.
    const ended = (why: string) => {
      if (stopping || finished) return;
      finished = true;
      if (!gotReady) {
        fail(index, why);
        openNext();
      } else closedEarly++;
    };
    req.on('error', (error) => ended(error.message));
    req.on('response', (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        ended(`answered ${String(res.statusCode)}`);
        return;
      }
      connected++;
      res.setEncoding('utf8');
      let at = 0;
      const parse = sseParser(({ name, data }) => {
        if (name === 'ready') becameReady();
        else if (name === 'reset') resets++;
        else if (name === 'video' && data !== null) onVideo(index, data, at);
      });
      res.on('data', (chunk: string) => {
        // Before any parsing: the time this process got the bytes.
        at = wallClockMs();
        parse(chunk);
      });
      res.on('close', () => ended('the stream ended before its ready event'));
    });
    req.end();
  }

  function openNext(): void {
    if (stopping || opened >= total) return;
    open(opened++);
  }

  for (let i = 0; i < Math.min(openConcurrency, total); i++) openNext();

  process.once('SIGTERM', () => {
    stopping = true;
    for (const client of clients) client.destroy();
    const report: SseClientReport = {
      clients: total,
      connected,
      ready,
      failures,
      failureSamples,
      closedEarly,
      resets,
      unexpectedVideos,
      malformed,
      videoIds,
      arrivals: arrivals.map((row) => Array.from(row, (at) => (Number.isNaN(at) ? null : Math.round(at * 1000) / 1000))),
      counts: counts.map((row) => Array.from(row)),
    };
    writeFileSync(out, JSON.stringify(report));
    process.exit(0);
  });
}

main();
