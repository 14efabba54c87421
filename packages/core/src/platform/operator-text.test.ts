import { describe, expect, it } from 'vitest';
import { checkOperatorText, operatorTextLabel } from './operator-text.js';

const check = (value: string, max = 200) => checkOperatorText('text', value, max);
const accepted = (value: string, max = 200) => {
  const result = check(value, max);
  if (!result.ok) throw new Error(`refused ${JSON.stringify(value)}: ${result.problem}`);
  return result.text;
};
const problem = (value: string, max = 200) => {
  const result = check(value, max);
  if (result.ok) throw new Error(`accepted ${JSON.stringify(value)} as ${JSON.stringify(result.text)}`);
  return result.problem;
};

describe('checkOperatorText', () => {
  it('normalises to NFC, so composed and decomposed spellings are one text', () => {
    const nfd = 'cafe\u0301';
    expect(nfd).not.toBe('café');
    expect(accepted(nfd)).toBe('caf\u00e9');
    expect(accepted('caf\u00e9')).toBe('caf\u00e9');
    // Hangul typed as jamo composes into syllables.
    expect(accepted('\u1112\u1161\u11ab')).toBe('\ud55c');
  });

  it('keeps combining marks that do not compose, and they count as characters', () => {
    expect(accepted('q\u0307\u0323')).toBe('q\u0323\u0307'); // reordered canonically, nothing composes
    expect(accepted('x'.repeat(197) + 'q\u0307\u0323')).toHaveLength(200);
    expect(problem('x'.repeat(198) + 'q\u0307\u0323')).toBe('text must be 1 to 200 characters (it has 201 after normalisation)');
  });

  it('bounds the length in code points after normalisation, not in UTF-16 units or as sent', () => {
    // 200 emoji: 400 UTF-16 units, 200 characters.
    expect([...accepted('🏏'.repeat(200))]).toHaveLength(200);
    expect(problem('🏏'.repeat(201))).toBe('text must be 1 to 200 characters (it has 201 after normalisation)');
    // 150 decomposed letters (300 code points as sent) are 150 after composing.
    expect([...accepted('e\u0301'.repeat(150))]).toHaveLength(150);
    expect(problem('abcdef', 5)).toBe('text must be 1 to 5 characters (it has 6 after normalisation)');
  });

  it('drops white space at the ends and collapses runs of spaces of any kind into one ASCII space', () => {
    expect(accepted('  \t tea \u00a0\u3000 time \r\n')).toBe('tea time');
    expect(accepted('\ufeffcricket')).toBe('cricket'); // a byte-order mark at the start is white space to trim
    expect(problem(' \n\t ')).toBe('text must not be blank');
    expect(problem('')).toBe('text must not be blank');
  });

  it.each([
    ['tea\ttime', 'a tab', 'U+0009', 4],
    ['tea\ntime', 'a line break', 'U+000A', 4],
    ['tea\rtime', 'a line break', 'U+000D', 4],
    ['tea\u2028time', 'a line break', 'U+2028', 4],
    ['tea\u2029time', 'a line break', 'U+2029', 4],
    ['tea\u0085time', 'a line break', 'U+0085', 4],
    ['a\u0000b', 'a control character', 'U+0000', 2],
    ['a\u001b[31mb', 'a control character', 'U+001B', 2],
    ['a\u007fb', 'a control character', 'U+007F', 2],
    ['a\u009bb', 'a control character', 'U+009B', 2],
    ['abc\u202edef', 'a bidirectional control character', 'U+202E', 4],
    ['abc\u2066def\u2069', 'a bidirectional control character', 'U+2066', 4],
    ['abc\u200fdef', 'a bidirectional control character', 'U+200F', 4],
    ['abc\u061cdef', 'a bidirectional control character', 'U+061C', 4],
    ['cri\u200bcket', 'an invisible character', 'U+200B', 4],
    ['cri\u2060cket', 'an invisible character', 'U+2060', 4],
    ['cri\ufeffcket', 'an invisible character', 'U+FEFF', 4],
    ['cri\u00adcket', 'an invisible character', 'U+00AD', 4],
    ['\u3164', 'an invisible character', 'U+3164', 1],
    ['cri\u200dcket', 'an invisible zero-width joiner (allowed only between emoji or letters of a script that uses it)', 'U+200D', 4],
    ['cri\u200ccket', 'an invisible zero-width non-joiner (allowed only between emoji or letters of a script that uses it)', 'U+200C', 4],
    ['a\ue000b', 'a private-use character', 'U+E000', 2],
    ['a\u{10fffd}b', 'a private-use character', 'U+10FFFD', 2],
    ['a\ufffeb', 'an unassigned code point', 'U+FFFE', 2],
    ['a\ufdd0b', 'an unassigned code point', 'U+FDD0', 2],
    ['a\u{e0001}b', 'a tag character (allowed only in the flags of England, Scotland and Wales)', 'U+E0001', 2],
    ['a\ud800b', 'a lone surrogate (not valid Unicode)', 'U+D800', 2],
    ['a\udc00', 'a lone surrogate (not valid Unicode)', 'U+DC00', 2],
    ['caf\ufffd', 'the replacement character (text decoded wrongly somewhere)', 'U+FFFD', 4],
  ])('refuses %j: %s', (value, what, code, position) => {
    expect(problem(value)).toBe(`text must not contain ${what}: ${code} at character ${position}`);
  });

  it('names the field it was given and counts positions in the value as sent, in code points', () => {
    expect(checkOperatorText('label', '  🏏🏏\u200b', 100)).toEqual({ ok: false, problem: 'label must not contain an invisible character: U+200B at character 5' });
  });

  it('allows the zero-width joiner inside emoji sequences', () => {
    for (const emoji of ['👩‍💻', '👩🏽‍💻', '🏳️‍🌈', '❤️‍🔥', '🧑‍🤝‍🧑', '👨‍👩‍👧‍👦']) {
      expect(emoji).toContain('\u200d');
      expect(accepted(`cricket ${emoji} fans`)).toBe(`cricket ${emoji} fans`);
    }
    // Not at the end of one, nor between an emoji and a letter.
    expect(problem('👩\u200d')).toMatch(/zero-width joiner.*U\+200D at character 2$/);
    expect(problem('👩\u200da')).toMatch(/zero-width joiner/);
    expect(problem('a\u200d👩')).toMatch(/zero-width joiner/);
  });

  it('allows the joiner and non-joiner between letters of scripts whose spelling uses them', () => {
    const persian = 'می\u200cخواهم'; // "I want", with the non-joiner Persian spelling requires
    expect(accepted(persian)).toBe(persian);
    const devanagari = 'क्\u200dष'; // ka + virama + ZWJ + ssa: the half form
    expect(accepted(devanagari)).toBe(devanagari);
    const sinhala = 'ශ්\u200dරී'; // "Sri", with the ZWJ of its rakaransaya
    expect(accepted(sinhala)).toBe(sinhala);
    // Not between letters of two different scripts.
    expect(problem('ب\u200cक')).toMatch(/zero-width non-joiner/);
  });

  it('keeps variation selectors and the tag sequences of subdivision flags', () => {
    const england = '\u{1f3f4}\u{e0067}\u{e0062}\u{e0065}\u{e006e}\u{e0067}\u{e007f}';
    expect(accepted(`cricket ${england}`)).toBe(`cricket ${england}`);
    expect(accepted('❤️ 葛\u{e0100}')).toBe('❤️ 葛\u{e0100}');
    // Tag characters outside such a flag are invisible text.
    expect(problem('cricket\u{e0067}\u{e007f}')).toBe('text must not contain a tag character (allowed only in the flags of England, Scotland and Wales): U+E0067 at character 8');
  });

  const TAG = 'a tag character (allowed only in the flags of England, Scotland and Wales)';
  const SELECTOR = 'a variation selector that follows no character it can vary (or a second one)';

  it('keeps a variation selector only once, right after a character it can vary', () => {
    for (const text of [
      '❤\uFE0F love', // emoji presentation of a text-default emoji
      '☺\uFE0E smile', // text presentation
      '1\uFE0F\u20E3 keycap', // keycap: digit, selector, combining keycap
      '🏳️‍🌈 pride',
      '葛\u{E0100}城', // an ideographic variation sequence
      '\u{20000}\u{E0101}', // one on a CJK Extension B ideograph
      '\u1820\u180B\u1821', // Mongolian letter + free variation selector
      '\u2229\uFE00', // a mathematical symbol's standardised variant
      '\u1000\uFE00', // a Myanmar letter's
    ]) {
      expect(accepted(text)).toBe(text.normalize('NFC'));
    }
  });

  it.each([
    ['cats\uFE0F', 'U+FE0F', 5],
    ['cats' + '\uFE0F'.repeat(50), 'U+FE0F', 5],
    ['❤\uFE0F\uFE0F', 'U+FE0F', 3], // a second one after the first
    ['❤\uFE0E\uFE0F', 'U+FE0F', 3],
    ['\uFE0Fcats', 'U+FE0F', 1],
    ['dogs\u{E0100}\u{E0142}\u{E0163}', 'U+E0100', 5],
    ['葛\u{E0100}\u{E0101}', 'U+E0101', 3],
    ['cats\u180B', 'U+180B', 5],
    ['cats\u180C', 'U+180C', 5],
    ['cats\u180D', 'U+180D', 5],
    ['cats\u180F', 'U+180F', 5],
    ['cats\uFE00', 'U+FE00', 5],
  ])('refuses %j: a variation selector where it varies nothing (%s at character %i)', (value, code, at) => {
    expect(problem(value)).toBe(`text must not contain ${SELECTOR}: ${code} at character ${at}`);
  });

  it('refuses the Mongolian vowel separator outside a flag as an invisible character, as before', () => {
    expect(problem('cats\u180E')).toBe('text must not contain an invisible character: U+180E at character 5');
  });

  it('keeps only the three recommended tag-sequence flags and refuses any other run of tag characters', () => {
    const tags = (letters: string) => [...letters].map((c) => String.fromCodePoint(c.codePointAt(0)! + 0xe0000)).join('');
    for (const region of ['gbeng', 'gbsct', 'gbwls']) {
      const flag = `\u{1F3F4}${tags(region)}\u{E007F}`;
      expect(accepted(`rugby ${flag}`)).toBe(`rugby ${flag}`);
    }
    // A payload spelled in tag letters after a black flag, with or without the cancel tag.
    expect(problem(`\u{1F3F4}${tags('hiddenpayload')}\u{E007F}`)).toBe(`text must not contain ${TAG}: U+E0068 at character 2`);
    expect(problem(`x \u{1F3F4}${tags('hidden payload!')}`)).toBe(`text must not contain ${TAG}: U+E0068 at character 4`);
    // A well-formed but not recommended subdivision flag (Texas), and a flag without its cancel tag.
    expect(problem(`\u{1F3F4}${tags('ustx')}\u{E007F}`)).toBe(`text must not contain ${TAG}: U+E0075 at character 2`);
    expect(problem(`\u{1F3F4}${tags('gbeng')}`)).toBe(`text must not contain ${TAG}: U+E0067 at character 2`);
    // The tag space (U+E0020) and the cancel tag alone.
    expect(problem('a\u{E0020}')).toBe(`text must not contain ${TAG}: U+E0020 at character 2`);
    expect(problem('a\u{E007F}')).toBe(`text must not contain ${TAG}: U+E007F at character 2`);
  });

  it('refuses the braille pattern blank, alone or at the end, and the Hangul fillers that look blank too', () => {
    expect(problem('\u2800')).toBe('text must not contain a blank character (braille pattern blank): U+2800 at character 1');
    expect(problem('cats\u2800')).toBe('text must not contain a blank character (braille pattern blank): U+2800 at character 5');
    expect(problem('\uFFA0')).toBe('text must not contain an invisible character: U+FFA0 at character 1');
    expect(problem('a\u115F')).toBe('text must not contain an invisible character: U+115F at character 2');
    expect(problem('a\u1160')).toBe('text must not contain an invisible character: U+1160 at character 2');
    // A braille pattern with dots is a visible character.
    expect(accepted('\u2801 braille')).toBe('\u2801 braille');
  });
});

describe('operatorTextLabel', () => {
  it('replaces selectors and tag characters the rule refuses, and keeps the ones it allows', () => {
    expect(operatorTextLabel('cats\uFE0F\uFE0F ❤\uFE0F')).toBe('cats\u{FFFD}\u{FFFD} ❤\uFE0F');
    expect(operatorTextLabel('x\u{E0068}\u{E0069}')).toBe('x\u{FFFD}\u{FFFD}');
  });

  it('leaves text that obeys the rule as it is', () => {
    for (const text of ['cricket', 'tea time', 'café', '👩🏽‍💻 fans', 'می\u200cخواهم']) expect(operatorTextLabel(text)).toBe(text);
  });

  it('replaces every refused character with U+FFFD, so stored text from before the rule stays one line', () => {
    expect(operatorTextLabel('tea\ntime\r\u2028x\u001b[31m\u202Eabc\u0000\u200b\ud800')).toBe('tea\ufffdtime\ufffd\ufffdx\ufffd[31m\ufffdabc\ufffd\ufffd\ufffd');
    expect(operatorTextLabel('  a\u00a0\u00a0b  ')).toBe('a b');
  });

  it('cuts long text, in code points, with an ellipsis', () => {
    const label = operatorTextLabel('🏏'.repeat(500));
    expect([...label]).toHaveLength(200);
    expect(label.endsWith('🏏…')).toBe(true);
    expect(operatorTextLabel('abcdef', 4)).toBe('abc…');
  });
});
