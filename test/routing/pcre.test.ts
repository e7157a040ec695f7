import { describe, expect, it } from 'vitest';
import { PcreError, compilePcre } from '../../src/routing/pcre.js';

const m = (p: string, s: string) => compilePcre(p).exec(s)?.[0] ?? null;

describe('compilePcre: PCRE semantics on byte strings', () => {
  it('. does not match \\n only (JS also refuses \\r)', () => {
    expect(m('a.b', 'a\rb')).toBe('a\rb');
    expect(m('a.b', 'a\nb')).toBeNull();
    expect(m('(?s)a.b', 'a\nb')).toBe('a\nb');
  });

  it('$ matches at the end or before a final newline', () => {
    expect(m('x$', 'x\n')).toBe('x');
    expect(m('x$', 'x\ny')).toBeNull();
    expect(m('x\\z', 'x\n')).toBeNull();
    expect(m('x\\Z', 'x\n')).toBe('x');
    expect(m('(?m)^b$', 'a\nb\nc')).toBe('b');
  });

  it('\\s is ASCII whitespace (not 0xA0); \\h \\v \\R are PCRE classes', () => {
    expect(m('a\\sb', 'a\xa0b')).toBeNull();
    expect(m('a\\sb', 'a\tb')).toBe('a\tb');
    expect(m('a[\\s]b', 'a b')).toBe('a b');
    expect(m('a\\hb', 'a\xa0b')).toBe('a\xa0b');
    expect(m('a\\vb', 'a\x85b')).toBe('a\x85b');
    expect(m('a\\Rb', 'a\r\nb')).toBe('a\r\nb');
  });

  it('reads PCRE spellings', () => {
    expect(compilePcre('(?P<n>\\d+)-(?P=n)').exec('12-12')?.groups?.n).toBe('12');
    expect(m('\\Aab', 'ab')).toBe('ab');
    expect(m('\\Qa.b*\\E', 'a.b*')).toBe('a.b*');
    expect(m('[]a]+', ']a]')).toBe(']a]');
    expect(m('[[:digit:]]+', 'x42')).toBe('42');
    expect(m('a(?#comment)b', 'ab')).toBe('ab');
    expect(m('(a)\\g{1}', 'aa')).toBe('aa');
    expect(m('(?i)HELLO', 'hello')).toBe('hello');
    expect(m('\\x{41}', 'A')).toBe('A');
    expect(m('a+?', 'aaa')).toBe('a');
  });

  it('refuses what JS cannot do rather than match differently', () => {
    for (const p of [
      'a++',
      'a*+',
      'a?+',
      '(?>a)',
      '(?1)',
      '(?|a)',
      '(*UTF)',
      'a\\Kb',
      '(?x) a',
      'a(?i)b',
      '[[:^alpha:]]',
      '[\\S]',
      '(',
    ]) {
      expect(() => compilePcre(p), p).toThrow(PcreError);
    }
  });
});
