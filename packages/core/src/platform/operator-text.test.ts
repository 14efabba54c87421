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
    ['a\u{e0001}b', 'an invisible character', 'U+E0001', 2],
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
    expect(problem('cricket\u{e0067}\u{e007f}')).toBe('text must not contain an invisible character: U+E0067 at character 8');
  });
});

describe('operatorTextLabel', () => {
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
