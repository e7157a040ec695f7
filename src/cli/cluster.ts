// `serve --processes N`: the primary that forks, watches and stops workers (node:cluster), and what a worker tells it.
import cluster, { type Worker } from 'node:cluster';
import { HANDOFF_ENV } from '../server/handoff-messages.js';
import type { HandOff } from '../server/handoff-primary.js';
import { cliLog } from './log-format.js';

/** What a worker tells the primary once it listens. */
interface ReadyMessage {
  /** ownPorts: the worker bound its TCP sockets itself, with SO_REUSEPORT. */
  uwsgiRpcReady: { lines: string[]; addresses: string[]; ownPorts: boolean };
}

/** What the primary does around its workers' lives (the subscriptions, which it alone sends). */
export interface PrimaryHooks {
  /** Every worker listens; `addresses`: what the first one bound (real ports). */
  ready?(addresses: string[]): Promise<void>;
  /** Before the workers are asked to close. */
  stopping?(): Promise<void>;
}

/** The workers alive now, by slot (uWSGI's worker ids 1..N: a respawned worker takes its predecessor's). */
const slots = new Map<number, { worker: Worker; id: number; spawns: number; spawnedAt: number }>();

/** The workers alive now, each with its slot, how many processes have held the slot, and when this one started. */
export function workerSlots(): { worker: Worker; id: number; spawns: number; spawnedAt: number }[] {
  return [...slots.values()].filter((s) => !s.worker.isDead());
}

/** True in a worker process started by runPrimary(). */
export const isWorker = cluster.isWorker;

/** The first worker says what the others would repeat (the functions line). */
export function isFirstWorker(): boolean {
  return cluster.worker?.id === 1;
}

/** A worker that is done lets go of the primary, so it can exit. */
export function leaveCluster(): void {
  cluster.worker?.disconnect();
}

/** Tells the primary this worker listens (lines: the "uwsgi socket on ..." lines to print once). */
export function reportReady(lines: string[], addresses: string[], ownPorts: boolean): void {
  const m: ReadyMessage = { uwsgiRpcReady: { lines, addresses, ownPorts } };
  process.send?.(m);
}

/**
 * A worker that dies this soon after it was started, before listening, means the setup is broken: stop instead of
 * respawning.
 */
const STARTUP_FAILURE = 'exited before it was ready';

/**
 * uWSGI's master for `--processes N`: forks N workers (node:cluster, so they share every
 * listening socket, unix ones too; where the runtime has SO_REUSEPORT each worker binds its
 * own TCP sockets instead, see serve.ts), prints the listening lines once all are ready,
 * restarts a worker that dies, and on SIGINT/SIGTERM asks every worker to close
 * gracefully (a second signal kills them). Resolves with the exit code.
 */
export function runPrimary(
  processes: number,
  write: (text: string) => Promise<void>,
  hooks: PrimaryHooks = {},
  sharedAccept = false,
  handoff: HandOff | null = null,
): Promise<number> {
  // Before the first fork. SCHED_NONE: the workers accept on the shared socket themselves, so
  // a connection waiting in its queue is not lost with a worker killed (the others take it),
  // and none is stuck in the primary on its way to a dead worker (with round-robin hand-off
  // the primary keeps such a connection open, unanswered, until the caller's timeout).
  if (sharedAccept) cluster.schedulingPolicy = cluster.SCHED_NONE;
  return new Promise((resolve) => {
    const ready = new Set<Worker>();
    let printed = false;
    let stopping = false;
    let failed = false;

    const log = (line: string) => cliLog(line, { event: 'workers' });
    const env = handoff === null ? undefined : { [HANDOFF_ENV]: JSON.stringify(handoff.ports) };
    const fork = (id: number) => {
      const w = cluster.fork(env);
      handoff?.attach(w);
      slots.set(id, { worker: w, id, spawns: (slots.get(id)?.spawns ?? 0) + 1, spawnedAt: Date.now() });
      w.on('message', (m: Partial<ReadyMessage>) => {
        if (m?.uwsgiRpcReady === undefined) return;
        ready.add(w);
        if (!printed && ready.size === processes) {
          printed = true;
          const { lines, addresses, ownPorts } = m.uwsgiRpcReady;
          const spread = ownPorts
            ? 'TCP connections spread by the kernel (SO_REUSEPORT)'
            : sharedAccept
              ? 'every worker accepting on the shared sockets (SCHED_NONE)'
              : 'connections handed out by the primary';
          void write(lines.join(''))
            .then(() =>
              log(`${processes} workers ready (pids ${[...ready].map((x) => x.process.pid).join(', ')}; ${spread})`),
            )
            .then(() => (stopping ? undefined : hooks.ready?.(addresses)));
        }
      });
    };

    cluster.on('exit', (w, code, signal) => {
      const wasReady = ready.delete(w);
      if (stopping || failed) {
        if (Object.keys(cluster.workers ?? {}).length === 0) resolve(failed ? 1 : 0);
        return;
      }
      const how = signal ? `signal ${signal}` : `exit code ${code}`;
      if (!wasReady) {
        // a broken import or a busy port: every worker would do the same
        failed = true;
        log(`worker ${w.process.pid} ${STARTUP_FAILURE} (${how}): stopping`);
        for (const other of Object.values(cluster.workers ?? {})) other?.process.kill('SIGTERM');
        if (Object.keys(cluster.workers ?? {}).length === 0) resolve(1);
        return;
      }
      log(`worker ${w.process.pid} died (${how}): starting another`);
      fork([...slots.values()].find((s) => s.worker === w)?.id ?? slots.size + 1);
    });

    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGKILL');
        return;
      }
      stopping = true;
      log(`${signal}: stopping ${Object.keys(cluster.workers ?? {}).length} workers (running calls may finish)`);
      void Promise.resolve(hooks.stopping?.())
        .catch(() => {})
        .then(() => {
          // no new connections from here on (those on their way still reach their workers)
          handoff?.close();
          // Workers close gracefully on SIGTERM.
          for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
          if (Object.keys(cluster.workers ?? {}).length === 0) resolve(0);
        });
    };
    process.on('SIGINT', stop).on('SIGTERM', stop);
    for (let i = 1; i <= processes; i++) fork(i);
  });
}

/** The primary passes `signal` on to every worker (SIGHUP: the workers reload their TLS files). */
export function forwardToWorkers(signal: NodeJS.Signals): void {
  process.on(signal, () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill(signal);
  });
}
