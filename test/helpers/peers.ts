import { execFileSync } from 'node:child_process';

/**
 * Real peers (uWSGI, nginx) are required under CI; locally a missing one skips its suite
 * with a printed reason.
 */
export function which(cmd: string): string | null {
  try {
    return execFileSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

/** Returns true if the suite may run; false (after printing why) if it must skip. Throws under CI. */
export function requirePeer(name: string, ok: boolean, how: string): boolean {
  if (ok) return true;
  const msg = `${name} is not available (${how})`;
  if (process.env.CI) throw new Error(`${msg}: CI must run this suite`);
  console.warn(`SKIP: ${msg}`);
  return false;
}
