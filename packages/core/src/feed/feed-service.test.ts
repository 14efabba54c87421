// Resolving a followed query's text while MySQL is unreachable: a text resolved before keeps
// its id (so page 1 of that query is still served from its snapshot); anything else fails.
// Texts that are no query, which any client can send, never push a query's entry out.
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../platform/clock.js';
import type { SearchQueryRow } from '../platform/db/schema.js';
import { createFeedService } from './feed-service.js';

const unreachable = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3306'), { code: 'ECONNREFUSED' });

function setUp() {
  const clock = new ManualClock('2024-06-01T00:00:00Z');
  let failure: Error | null = null;
  let lookups = 0;
  const feed = createFeedService({
    videos: { pageByOffset: () => Promise.reject(new Error('not used')), pageAt: () => Promise.reject(new Error('not used')) },
    queries: {
      findByText: async (text: string) => {
        lookups++;
        if (failure !== null) throw failure;
        return Promise.resolve(text === 'cricket' ? ({ id: 7 } as SearchQueryRow) : undefined);
      },
    },
    clock,
    queryCacheMs: 5000,
  });
  return { clock, feed, fail: (error: Error | null) => (failure = error), lookups: () => lookups };
}

describe('feed scope resolution with MySQL unreachable', () => {
  it('keeps answering with a text resolved before, asking MySQL again only once per period', async () => {
    const s = setUp();
    expect(await s.feed.resolveScope('cricket')).toBe(7);
    s.fail(unreachable());
    s.clock.advance(6000);
    expect(await s.feed.resolveScope('cricket')).toBe(7);
    expect(await s.feed.resolveScope('cricket')).toBe(7);
    expect(s.lookups()).toBe(2);
    s.clock.advance(6000);
    expect(await s.feed.resolveScope('cricket')).toBe(7);
    expect(s.lookups()).toBe(3);
  });

  it('fails for a text never resolved, and for errors other than unreachability', async () => {
    const s = setUp();
    expect(await s.feed.resolveScope('cricket')).toBe(7);
    s.fail(unreachable());
    await expect(s.feed.resolveScope('tea')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    s.fail(new Error('You have an error in your SQL syntax'));
    s.clock.advance(6000);
    await expect(s.feed.resolveScope('cricket')).rejects.toThrow(/SQL syntax/);
  });

  it('keeps a resolved query through any number of texts that are no query', async () => {
    const s = setUp();
    expect(await s.feed.resolveScope('cricket')).toBe(7);
    for (let i = 0; i < 2500; i++) {
      await expect(s.feed.resolveScope(`not followed ${i}`)).rejects.toMatchObject({ param: 'query' });
    }
    s.fail(unreachable());
    s.clock.advance(6000);
    expect(await s.feed.resolveScope('cricket')).toBe(7);
  });
});
