// What one process tells about itself for the stats document: its server's counters and the
// process's own numbers (pid, memory, when it started), read where the process runs.
import { readFileSync } from 'node:fs';
import type { ServerSnapshot } from '../server/snapshot.js';

/** One worker: a --processes worker, or the only process. Plain data (it crosses node:cluster IPC). */
export interface WorkerReport {
  /** 1..N: the worker's slot (a respawned worker takes its predecessor's). */
  id: number;
  pid: number;
  /** Resident and virtual memory (bytes). */
  rss: number;
  vsz: number;
  /** When the process started (ms since the epoch), and how many processes have held the slot. */
  spawnedAt: number;
  spawns: number;
  server: ServerSnapshot;
}

/** This process's report (id, spawnedAt and spawns as this process knows them; the primary knows better). */
export function localReport(server: ServerSnapshot, id = 1): WorkerReport {
  return {
    id,
    pid: process.pid,
    rss: process.memoryUsage.rss(),
    vsz: virtualSize(),
    spawnedAt: Math.round(performance.timeOrigin),
    spawns: 1,
    server,
  };
}

/** The process's virtual memory size in bytes (field 23 of /proc/self/stat); 0 where there is no /proc. */
function virtualSize(): number {
  try {
    const stat = readFileSync('/proc/self/stat', 'latin1');
    // the command (field 2) may hold spaces: count from after its closing parenthesis
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[20]) || 0;
  } catch {
    return 0;
  }
}
