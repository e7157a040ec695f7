// The two-column option tables of the --help texts.
/** One option of a help text: how it is written, and what it does (defaults included). */
export type HelpRow = readonly [flag: string, text: string];

const WIDTH = 100;
const FLAG_COLUMN = 32;

/**
 * Rows as a two-column table, the text wrapped at WIDTH columns. A flag too long for its
 * column gets the text on the lines below, so the text column stays straight.
 */
export function optionTable(rows: readonly HelpRow[]): string {
  const lines: string[] = [];
  for (const [flag, text] of rows) {
    const first = `  ${flag}`;
    const wrapped = text === '' ? [] : wrap(text, WIDTH - FLAG_COLUMN);
    if (first.length + 1 >= FLAG_COLUMN || wrapped.length === 0) lines.push(first);
    else lines.push(first.padEnd(FLAG_COLUMN) + wrapped.shift());
    for (const rest of wrapped) lines.push(' '.repeat(FLAG_COLUMN) + rest);
  }
  return `${lines.map((l) => l.trimEnd()).join('\n')}\n`;
}

function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  out.push(line);
  return out;
}
