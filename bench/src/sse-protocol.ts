// What the SSE client processes (sse-client.ts) print for the harness (sse-clients.ts), and the
// report each writes when stopped. A module of its own: importing sse-client.ts would run it.
export const SSE_READY = 'SSE_READY';
export const SSE_DELIVERED = 'SSE_DELIVERED';
export const SSE_FAILED = 'SSE_FAILED ';

/** What one client process saw, written to its --out file when it is stopped. */
export interface SseClientReport {
  readonly clients: number;
  /** Clients answered 200 with an event stream. */
  readonly connected: number;
  /** Clients that received their `ready` event. */
  readonly ready: number;
  /** Connections refused, answered with another status, or failed (first few messages). */
  readonly failures: number;
  readonly failureSamples: readonly string[];
  /** Streams that ended before the process was told to stop. */
  readonly closedEarly: number;
  readonly resets: number;
  /** `video` events for ids the harness did not store (another writer on the same prefix). */
  readonly unexpectedVideos: number;
  /** `video` events whose data was not the JSON of a video with a `video_id`. */
  readonly malformed: number;
  /** The expected video ids, in the order of `arrivals`. */
  readonly videoIds: readonly string[];
  /**
   * arrivals[v][c]: when client c first received video v (ms since the epoch, sub-ms precision);
   * null when it never did.
   */
  readonly arrivals: ReadonlyArray<ReadonlyArray<number | null>>;
  /** counts[v][c]: how many times client c received video v. */
  readonly counts: ReadonlyArray<ReadonlyArray<number>>;
}

/** One Server-Sent Event as the client needs it: its name (`message` when none) and data. */
export interface SseEvent {
  readonly name: string;
  readonly data: string | null;
}

/**
 * A parser of the event-stream text, fed chunk by chunk as it arrives (an event may be split
 * across chunks, a chunk may hold many): calls `onEvent` for each complete event. Comments
 * (heartbeats), `id:` and `retry:` lines are read past.
 */
export function sseParser(onEvent: (event: SseEvent) => void): (chunk: string) => void {
  let buffer = '';
  return (chunk) => {
    buffer += chunk;
    for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let name = 'message';
      let data: string | null = null;
      let any = false;
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) {
          name = line.slice(7);
          any = true;
        } else if (line.startsWith('data: ')) {
          data = data === null ? line.slice(6) : `${data}\n${line.slice(6)}`;
          any = true;
        }
      }
      if (any) onEvent({ name, data });
    }
  };
}
