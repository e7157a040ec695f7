// The repository stands alone: a user, a packager or a contributor has only what is in it.
// No tracked file may point outside the checkout (a sibling folder, this machine's paths),
// and README's commands must run as written after `npm ci` (the bin is not on PATH).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(__dirname, '..');

/** Tracked files (git), or every file but installed and built ones where this is not a git checkout. */
function trackedFiles(): string[] {
  try {
    const out = execFileSync('git', ['ls-files', '-z'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return out.split('\0').filter(Boolean);
  } catch {
    const skip = new Set(['node_modules', 'dist', 'build', '.git', '.out']);
    const walk = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        if (skip.has(e.name)) return [];
        const p = join(dir, e.name);
        return e.isDirectory() ? walk(p) : [relative(root, p)];
      });
    return walk(root);
  }
}

function textOf(file: string): string | null {
  const bytes = readFileSync(join(root, file));
  return bytes.includes(0) ? null : bytes.toString('utf8');
}

// Spelled in pieces so that this file does not match itself.
const outside = [
  ['..', 'shared'].join('/'),
  ['shared', 'tools'].join('/'),
  ['shared', 'DESIGN'].join('/'),
  `/${'work'}/`,
  `/${'root'}/`,
  `/${'home'}/`,
];
// The checkout's own absolute path and its parent's, whatever machine this runs on.
const here = [root, dirname(root)].filter((p) => p.split(sep).filter(Boolean).length >= 2).map((p) => p + sep);

describe('the repository stands alone', () => {
  const files = trackedFiles();

  it('lists the tracked files', () => {
    expect(files).toContain('package.json');
    expect(files).toContain('test/self-contained.test.ts');
  });

  it('no tracked file refers to anything outside the repository', () => {
    const found: string[] = [];
    for (const file of files) {
      const text = textOf(file);
      if (text === null) continue;
      text.split('\n').forEach((line, i) => {
        for (const p of [...outside, ...here]) if (line.includes(p)) found.push(`${file}:${i + 1}: ${p}`);
      });
    }
    expect(found).toEqual([]);
  });

  it("README's shell commands call the CLI through npx (a bare uwsgi-rpc is not on PATH after npm ci)", () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const blocks = [...readme.matchAll(/```(?:sh|bash|shell)\n([\s\S]*?)```/g)].map((m) => m[1]);
    expect(blocks.length).toBeGreaterThan(3);
    const bare = blocks.flatMap((b) => b.split('\n')).filter((l) => /(^|[;&|]\s*)uwsgi-rpc\s/.test(l.trim()));
    expect(bare).toEqual([]);
  });
});
