import { describe, expect, it } from 'vitest';
import { SearchQueryError, parseSearch, searchText } from './search-text.js';

describe('searchText', () => {
  it.each([
    ['How to make tea?', 'how to_ make tea'],
    ['AI news today', 'ai_ news today'],
    ['Tom & Jerry', 'tom jerry'],
    ['Crème brûlée at the Café', 'creme brulee at_ the cafe'],
    ["O'Brien's snake_case e-mail", 'o__ brien s__ snake case e__ mail'],
    ['Green tea 🍵 ceremony', 'green tea e1f375 ceremony'],
    ['ÅNGSTRÖM Ｆｕｌｌｗｉｄｔｈ', 'angstrom fullwidth'],
    ['<b>"quoted"</b>', 'b__ quoted b__'],
    ['日本語 タイトル', '日本語 タイトル'],
  ])('%s', (input, expected) => {
    expect(searchText(input)).toBe(` ${expected}`);
  });

  it('cuts long text at a word boundary', () => {
    expect(searchText('alpha beta gamma delta', 12)).toBe(' alpha beta');
  });
});

describe('parseSearch', () => {
  it.each([
    ['tea how', '+tea* +how*'],
    ['mak tea', '+mak* +tea*'],
    ['ai news', '+ai* +news*'],
    ['tom & jerry', '+tom* +jerry*'],
    ['"tea" -how +(make) <b> ~x @y * %', '+tea* +how* +make* +b* +x* +y*'],
    ["o'brien", '+o* +brien*'],
    ['Café', '+cafe*'],
    ['🍵', '+e1f375*'],
    ['TEA tea Tea', '+tea*'],
  ])('%s', (q, booleanQuery) => {
    expect(parseSearch(q).booleanQuery).toBe(booleanQuery);
  });

  it.each(['', '   ', '+-*"()<>~@\'%', '&&&'])('rejects %j: nothing to search', (q) => {
    expect(() => parseSearch(q)).toThrow(SearchQueryError);
  });

  it('rejects more than 12 words rather than dropping some', () => {
    expect(parseSearch('a b c d e f g h i j k l').terms).toHaveLength(12);
    expect(() => parseSearch('a b c d e f g h i j k l zzzz')).toThrow('q must have at most 12 words');
  });

  it('counts characters as code points: 150 emoji are 150 characters', () => {
    expect(parseSearch('🍵'.repeat(150)).terms).toEqual(['e1f375']);
  });

  it('rejects more than 200 characters', () => {
    expect(() => parseSearch('a'.repeat(201))).toThrow('q must be at most 200 characters');
    expect(parseSearch('a'.repeat(200)).terms).toHaveLength(1);
  });
});
