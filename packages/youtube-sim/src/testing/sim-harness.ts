// Test support (not built into dist): starts a simulator on a free port and points the real
// @googleapis/youtube client at it, exactly as production code would point it at YouTube.
import { youtube, type youtube_v3 } from '@googleapis/youtube';
import { createYoutubeSimulator, type YoutubeSimulator, type YoutubeSimulatorOptions } from '../index.js';

export interface SimHarness {
  sim: YoutubeSimulator;
  baseUrl: string;
  /** The first generated key. */
  key: string;
  /** A client using `key` (or another key). */
  client(key?: string): youtube_v3.Youtube;
  close(): Promise<void>;
}

export const T0 = '2024-06-01T12:00:00.000Z';

export async function startSim(options: YoutubeSimulatorOptions = {}): Promise<SimHarness> {
  const sim = createYoutubeSimulator({ clock: T0, maxIndexDelayMs: 0, ...options });
  const baseUrl = await sim.listen({ host: '127.0.0.1', port: 0 });
  const key = sim.apiKeys()[0]!;
  return {
    sim,
    baseUrl,
    key,
    client: (other?: string) => youtube({ version: 'v3', auth: other ?? key, rootUrl: `${baseUrl}/` }),
    close: () => sim.close(),
  };
}

export interface ApiFailure {
  status: number | undefined;
  data: unknown;
}

/** The HTTP status and body of a rejected client call (fails the test if it resolved). */
export async function failure(call: Promise<unknown>): Promise<ApiFailure> {
  try {
    await call;
  } catch (error) {
    const shaped = error as { status?: number; response?: { status?: number; data?: unknown } };
    return { status: shaped.status ?? shaped.response?.status, data: shaped.response?.data };
  }
  throw new Error('expected the call to fail, it succeeded');
}

/** A raw GET (for requests the client refuses to build, like a missing `part`). */
export async function rawGet(baseUrl: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${baseUrl}${path}`, { headers });
  return { status: response.status, body: await response.json() };
}

/** YouTube's encoding of search snippet text, written out independently of the simulator's. */
export function youtubeEncoded(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}
