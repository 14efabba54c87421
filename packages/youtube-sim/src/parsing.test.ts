// Pure pieces: page tokens in YouTube's format, RFC 3339 bounds, query parsing.
import { describe, expect, it } from 'vitest';
import { decodePageToken, encodePageToken } from './page-token.js';
import { parseRfc3339 } from './rfc3339.js';
import { matchesQuery, normalizeQuery, parseQuery } from './search-query.js';

describe('page tokens', () => {
  it('match the real tokens and round-trip', () => {
    expect(encodePageToken({ offset: 5, direction: 'next' })).toBe('CAUQAA');
    expect(encodePageToken({ offset: 5, direction: 'prev' })).toBe('CAUQAQ');
    expect(encodePageToken({ offset: 50, direction: 'next' })).toBe('CDIQAA');
    for (const offset of [0, 1, 127, 128, 499, 5000]) {
      for (const direction of ['next', 'prev'] as const) {
        expect(decodePageToken(encodePageToken({ offset, direction }))).toEqual({ offset, direction });
      }
    }
    for (const garbage of ['', 'CAUQAA==', 'CAUQAg', 'QAUQAA', 'hello world', 'CAUQAAAA']) expect(decodePageToken(garbage)).toBeUndefined();
  });
});

describe('RFC 3339 bounds', () => {
  it('accepts Z and offsets, rounds sub-millisecond fractions inwards, rejects the rest', () => {
    expect(parseRfc3339('2024-01-01T00:00:00Z', 'up')).toBe(Date.UTC(2024, 0, 1));
    expect(parseRfc3339('2024-01-01T01:30:00+01:30', 'up')).toBe(Date.UTC(2024, 0, 1));
    expect(parseRfc3339('2024-01-01T00:00:00.000000001Z', 'up')).toBe(Date.UTC(2024, 0, 1) + 1);
    expect(parseRfc3339('2024-01-01T00:00:00.000000001Z', 'down')).toBe(Date.UTC(2024, 0, 1));
    for (const bad of ['2024-01-01', '2024-01-01T00:00:00', '2024-02-30T00:00:00Z', '2024-01-01 00:00:00Z', 'yesterday']) {
      expect(parseRfc3339(bad, 'up')).toBeUndefined();
    }
  });
});

describe('queries', () => {
  const has = (q: string, text: string) => matchesQuery(parseQuery(q), new Set(text.toLowerCase().split(/[^\p{L}\p{N}]+/u)));

  it('needs every word, drops -words, and takes a|b as either', () => {
    expect(has('green tea', 'Green TEA review')).toBe(true);
    expect(has('green tea', 'green review')).toBe(false);
    expect(has('tea -review', 'tea review')).toBe(false);
    expect(has('tea -review', 'tea time')).toBe(true);
    expect(has('cats|dogs food', 'dogs and food')).toBe(true);
    expect(has('cats | dogs food', 'cats food')).toBe(true);
    expect(has('cats|dogs food', 'cats only')).toBe(false);
    expect(has('café', 'CAFÉ au lait')).toBe(true);
    expect(normalizeQuery('  Green   Tea | Coffee ')).toBe('green tea|coffee');
  });
});
