// PCRE patterns of route rules as JS RegExps that match binary strings as uWSGI's PCRE matches bytes.
/**
 * uWSGI matches routes with PCRE (no UTF mode: bytes). Subjects here are binary strings
 * (one char per byte), and this turns a PCRE pattern into a JS RegExp that matches them the
 * same way, for the PCRE a route rule is likely to use. Where the two engines differ the
 * pattern is rewritten:
 * - `.` does not match `\n` only (JS also refuses `\r`); `$` also matches before a final
 *   `\n`; `\s` is ASCII whitespace only (JS adds U+00A0); `\v` `\h` `\R` are PCRE classes;
 * - `\A` `\z` `\Z`, `\Q...\E`, `(?P<name>...)`, `(?P=name)`, `\g{N}`, `(?#...)`, POSIX
 *   classes (`[[:alpha:]]`), a leading `]` in a class, leading `(?i)` `(?s)` `(?m)`.
 * What JS cannot do (possessive quantifiers, atomic groups, recursion, conditionals,
 * verbs, `\K`, inline options in mid-pattern) is refused with a PcreError, so a route
 * never silently matches differently.
 */
export class PcreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PcreError';
  }
}

const SPACE = '\\t\\n\\v\\f\\r ';
const VSPACE = '\\n\\v\\f\\r\\x85';
const HSPACE = '\\t \\xa0';

const POSIX: Record<string, string> = {
  alpha: 'A-Za-z',
  digit: '0-9',
  alnum: 'A-Za-z0-9',
  upper: 'A-Z',
  lower: 'a-z',
  space: SPACE,
  xdigit: '0-9A-Fa-f',
  punct: '!-\\/:-@\\[-`{-~',
  word: '\\w',
  blank: ' \\t',
  cntrl: '\\x00-\\x1f\\x7f',
  print: ' -~',
  graph: '!-~',
  ascii: '\\x00-\\x7f',
};

interface Flags {
  dotAll: boolean;
  multiline: boolean;
  ignoreCase: boolean;
}

/** Compiles a PCRE pattern (a binary string) into a RegExp over binary strings. */
export function compilePcre(pattern: string): RegExp {
  const flags: Flags = { dotAll: false, multiline: false, ignoreCase: false };
  let i = leadingOptions(pattern, flags);
  let out = '';
  let quantified = false;
  while (i < pattern.length) {
    const c = pattern[i];
    if (c === '\\') {
      const [js, next] = translateEscape(pattern, i);
      out += js;
      i = next;
      quantified = false;
      continue;
    }
    if (c === '[') {
      const [js, next] = charClass(pattern, i);
      out += js;
      i = next;
      quantified = false;
      continue;
    }
    if (c === '(') {
      const [js, next] = group(pattern, i);
      out += js;
      i = next;
      quantified = false;
      continue;
    }
    if (c === '*' || c === '+' || c === '?' || (c === '{' && /^\{\d+(,\d*)?\}/.test(pattern.slice(i)))) {
      if (quantified && c === '+') throw new PcreError(`possessive quantifier at offset ${i} has no JS equivalent`);
      if (quantified && c === '?') {
        out += '?';
        i++;
        quantified = false;
        continue;
      }
      const end = c === '{' ? pattern.indexOf('}', i) + 1 : i + 1;
      out += pattern.slice(i, end);
      i = end;
      quantified = true;
      continue;
    }
    quantified = false;
    if (c === '.') out += flags.dotAll ? '[\\s\\S]' : '[^\\n]';
    else if (c === '$') out += flags.multiline ? '(?=\\n|$)' : '(?=\\n?$)';
    else if (c === '^') out += flags.multiline ? '(?<=^|\\n)' : '^';
    else out += c;
    i++;
  }
  try {
    return new RegExp(out, flags.ignoreCase ? 'i' : '');
  } catch (err) {
    throw new PcreError((err as Error).message);
  }
}

/** Leading `(?ims)` groups set options for the whole pattern; returns where the rest starts. */
function leadingOptions(p: string, flags: Flags): number {
  let i = 0;
  for (;;) {
    const m = /^\(\?([a-zA-Z]+)\)/.exec(p.slice(i));
    if (m === null) return i;
    for (const f of m[1]) {
      if (f === 'i') flags.ignoreCase = true;
      else if (f === 's') flags.dotAll = true;
      else if (f === 'm') flags.multiline = true;
      else throw new PcreError(`option (?${f}) is not supported`);
    }
    i += m[0].length;
  }
}

/** A backslash escape outside a class. */
function translateEscape(p: string, i: number): [string, number] {
  const e = p[i + 1];
  if (e === undefined) throw new PcreError('pattern ends with a backslash');
  switch (e) {
    case 'A':
      return ['^', i + 2];
    case 'z':
      return ['$', i + 2];
    case 'Z':
      return ['(?=\\n?$)', i + 2];
    case 's':
      return [`[${SPACE}]`, i + 2];
    case 'S':
      return [`[^${SPACE}]`, i + 2];
    case 'v':
      return [`[${VSPACE}]`, i + 2];
    case 'V':
      return [`[^${VSPACE}]`, i + 2];
    case 'h':
      return [`[${HSPACE}]`, i + 2];
    case 'H':
      return [`[^${HSPACE}]`, i + 2];
    case 'R':
      return [`(?:\\r\\n|[${VSPACE}])`, i + 2];
    case 'e':
      return ['\\x1b', i + 2];
    case 'a':
      return ['\\x07', i + 2];
    case 'Q': {
      const end = p.indexOf('\\E', i + 2);
      const lit = p.slice(i + 2, end < 0 ? p.length : end);
      return [lit.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&'), end < 0 ? p.length : end + 2];
    }
    case 'E':
      return ['', i + 2];
    case 'x': {
      const m = /^\\x\{([0-9a-fA-F]{1,2})\}/.exec(p.slice(i));
      if (m !== null) return [`\\x${m[1].padStart(2, '0')}`, i + m[0].length];
      return ['\\x', i + 2];
    }
    case 'g': {
      const m = /^\\g\{?(\d+)\}?/.exec(p.slice(i)) ?? /^\\g\{(\w+)\}/.exec(p.slice(i));
      if (m === null) throw new PcreError(`\\g at offset ${i} is not supported`);
      return [/^\d+$/.test(m[1]) ? `\\${m[1]}` : `\\k<${m[1]}>`, i + m[0].length];
    }
    case 'k': {
      const m = /^\\k(?:<(\w+)>|'(\w+)'|\{(\w+)\})/.exec(p.slice(i));
      if (m === null) throw new PcreError(`\\k at offset ${i} is not supported`);
      return [`\\k<${m[1] ?? m[2] ?? m[3]}>`, i + m[0].length];
    }
    case 'K':
    case 'G':
    case 'X':
    case 'C':
    case 'p':
    case 'P':
    case 'N':
    case 'o':
      throw new PcreError(`\\${e} has no JS equivalent here`);
    default:
      return [`\\${e}`, i + 2];
  }
}

/** A `[...]` class, from its `[` to just past its `]`. */
function charClass(p: string, i: number): [string, number] {
  let out = '[';
  let j = i + 1;
  if (p[j] === '^') {
    out += '^';
    j++;
  }
  // PCRE reads a `]` right after `[` or `[^` as a literal; JS reads `[]` as an empty class.
  if (p[j] === ']') {
    out += '\\]';
    j++;
  }
  while (j < p.length && p[j] !== ']') {
    const c = p[j];
    if (c === '\\') {
      const e = p[j + 1];
      if (e === undefined) break;
      if (e === 's') out += SPACE;
      else if (e === 'v') out += VSPACE;
      else if (e === 'h') out += HSPACE;
      else if (e === 'S' || e === 'V' || e === 'H') throw new PcreError(`\\${e} inside a class is not supported`);
      else out += `\\${e}`;
      j += 2;
      continue;
    }
    if (c === '[' && p[j + 1] === ':') {
      const m = /^\[:(\^?)(\w+):\]/.exec(p.slice(j));
      if (m !== null) {
        if (m[1] === '^' || !Object.hasOwn(POSIX, m[2]))
          throw new PcreError(`POSIX class [:${m[1]}${m[2]}:] is not supported`);
        out += POSIX[m[2]];
        j += m[0].length;
        continue;
      }
    }
    // A bare `[` is literal in a PCRE class.
    out += c === '[' ? '\\[' : c;
    j++;
  }
  if (j >= p.length) throw new PcreError(`missing ] for the class at offset ${i}`);
  return [`${out}]`, j + 1];
}

/** A `(` and what follows it that PCRE and JS spell differently. */
function group(p: string, i: number): [string, number] {
  if (p[i + 1] === '*') throw new PcreError(`verb at offset ${i} is not supported`);
  if (p[i + 1] !== '?') return ['(', i + 1];
  const rest = p.slice(i);
  if (rest.startsWith('(?P<')) return ['(?<', i + 4];
  let m = /^\(\?P=(\w+)\)/.exec(rest);
  if (m !== null) return [`\\k<${m[1]}>`, i + m[0].length];
  if (rest.startsWith('(?#')) {
    const end = p.indexOf(')', i);
    if (end < 0) throw new PcreError(`unterminated comment at offset ${i}`);
    return ['', end + 1];
  }
  m = /^\(\?(?::|=|!|<=|<!|<(?=[A-Za-z_]))/.exec(rest);
  if (m !== null) return [m[0], i + m[0].length];
  throw new PcreError(`group ${rest.slice(0, 4)}... at offset ${i} has no JS equivalent`);
}
