// GNU-style long options for the CLI: --name value, --name=value, repeatable in command-line order, `--` ends them.
import { UsageError } from './usage.js';

interface OptionSpec {
  /** Takes a value (`--name VALUE` or `--name=VALUE`); otherwise it is a flag. */
  value: boolean;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

export interface ParsedArgs {
  /** Options in command-line order as [name, value] (flags get 'true'): repeats accumulate. */
  entries: [string, string][];
  positional: string[];
}

const NUMBER = /^-\d/;

/** `--help` or `-h` before any `--`: the command's help wins over every other option and mistake. */
export function wantsHelp(argv: readonly string[]): boolean {
  for (const a of argv) {
    if (a === '--') return false;
    if (a === '--help' || a === '-h') return true;
  }
  return false;
}

/**
 * GNU-style long options anywhere on the line; `--` ends them. A lone `-` and negative
 * numbers are positional, so `call host:port sum -3 4` needs no `--`.
 */
export function parseArgs(argv: readonly string[], specs: OptionSpecs): ParsedArgs {
  const entries: [string, string][] = [];
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('-') || a === '-' || NUMBER.test(a)) {
      positional.push(a);
      continue;
    }
    if (!a.startsWith('--')) throw new UsageError(`unknown option ${a}`);
    const eq = a.indexOf('=');
    const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
    const spec = Object.hasOwn(specs, name) ? specs[name] : undefined;
    if (spec === undefined) throw new UsageError(`unknown option --${name}`);
    if (!spec.value) {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      entries.push([name, 'true']);
      continue;
    }
    const value = eq >= 0 ? a.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new UsageError(`--${name} needs a value`);
    entries.push([name, value]);
  }
  return { entries, positional };
}
