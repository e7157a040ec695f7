// CPU time over a measure window, read from /proc: the whole machine's busy time and the time
// of process trees (a uWSGI master and its workers, a cluster primary and its workers), so a
// benchmark can say which process held which core when the calls/s stopped growing.
// Linux only; percentages are of one core (a 2-core machine is 200% busy at most).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';

let hz;
/** USER_HZ, the unit of /proc's times (100 on every Linux we run; asked once anyway). */
function ticksPerSecond() {
  if (hz === undefined) {
    try {
      hz = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })) || 100;
    } catch {
      hz = 100;
    }
  }
  return hz;
}

/** pid -> { ppid, ticks: utime + stime } of every process now. */
function processes() {
  const all = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue;
    } // exited meanwhile
    // The command name (field 2) may hold spaces and parentheses: split after its last ')'.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    all.set(Number(name), { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) });
  }
  return all;
}

/** Ticks of `pid` and all its descendants. */
function treeTicks(all, pid) {
  const kids = new Map();
  for (const [p, { ppid }] of all) (kids.get(ppid) ?? kids.set(ppid, []).get(ppid)).push(p);
  let total = 0;
  const stack = [pid];
  while (stack.length) {
    const p = stack.pop();
    total += all.get(p)?.ticks ?? 0;
    stack.push(...(kids.get(p) ?? []));
  }
  return total;
}

/** Busy and total ticks of all cores (/proc/stat's first line; idle and iowait are not busy). */
function machineTicks() {
  const v = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  return { busy: total - v[3] - v[4], total };
}

/**
 * Starts a window over the process trees `trees` ({ label: pid }); the function it returns
 * ends it and gives { secs, machine, trees: { label } }, all in % of one core.
 */
export function cpuWindow(trees) {
  const t0 = process.hrtime.bigint();
  const m0 = machineTicks();
  const all0 = processes();
  const before = Object.fromEntries(Object.entries(trees).map(([k, pid]) => [k, treeTicks(all0, pid)]));
  return () => {
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    const m1 = machineTicks();
    const all1 = processes();
    const pct = (ticks) => (100 * ticks) / ticksPerSecond() / secs;
    const cores = os.cpus().length;
    return {
      secs,
      machine: m1.total > m0.total ? (100 * cores * (m1.busy - m0.busy)) / (m1.total - m0.total) : NaN,
      trees: Object.fromEntries(Object.entries(trees).map(([k, pid]) => [k, pct(treeTicks(all1, pid) - before[k])])),
    };
  };
}

/** Parses bash's `times` (two lines: the shell's, then its children's user and sys) into % of one core over secs. */
export function childrenCpu(timesOutput, secs) {
  const line = timesOutput.trim().split('\n').at(-1) ?? '';
  const s = [...line.matchAll(/(\d+)m([\d.]+)s/g)].reduce((n, m) => n + Number(m[1]) * 60 + Number(m[2]), 0);
  return (100 * s) / secs;
}
