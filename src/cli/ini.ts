// `--ini FILE[:SECTION]`: a uWSGI-style ini section read as serve's options.
import { readFileSync } from 'node:fs';
import { basename, dirname, extname, resolve } from 'node:path';
import { UsageError } from './usage.js';

/**
 * Reads a uWSGI-style ini file: `FILE` takes its [uwsgi] section, `FILE:NAME` its [NAME]
 * section. Lines are `key = value` (a repeated key adds another value), `;` and `#` start
 * comment lines, and uWSGI's magic variables expand: %d the file's directory (with a
 * trailing /), %p its full path, %s its name, %n the name without extension, %e the
 * extension, %% a percent sign.
 */
export function readIni(spec: string): [string, string][] {
  const { file, section } = splitSpec(spec);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`--ini ${spec}: ${(err as Error).message}`);
  }
  const path = resolve(file);
  const magic: Record<string, string> = {
    d: `${dirname(path)}/`,
    p: path,
    s: basename(path),
    n: basename(path, extname(path)),
    e: extname(path).slice(1),
    '%': '%',
  };
  const expand = (v: string) => v.replace(/%([dpsne%])/g, (_, k: string) => magic[k]);

  const entries: [string, string][] = [];
  let current = '';
  let found = false;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith(';') || line.startsWith('#')) continue;
    if (line.startsWith('[')) {
      current = line.endsWith(']') ? line.slice(1, -1).trim() : line.slice(1).trim();
      if (current === section) found = true;
      continue;
    }
    if (current !== section) continue;
    const eq = line.indexOf('=');
    const key = (eq < 0 ? line : line.slice(0, eq)).trim();
    const value = eq < 0 ? '' : line.slice(eq + 1).trim();
    entries.push([key, expand(value)]);
  }
  if (!found) throw new UsageError(`--ini ${spec}: no [${section}] section in ${file}`);
  return entries;
}

/** `FILE[:SECTION]`; a colon inside the directory part is part of the path. */
function splitSpec(spec: string): { file: string; section: string } {
  const colon = spec.lastIndexOf(':');
  if (colon > spec.lastIndexOf('/') && colon > 0) {
    return { file: spec.slice(0, colon), section: spec.slice(colon + 1) || 'uwsgi' };
  }
  return { file: spec, section: 'uwsgi' };
}
