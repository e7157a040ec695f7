// `uwsgi-rpc serve`: builds the server from its options, listens, subscribes, and closes gracefully on a signal.
import { RouteError } from '../routing/rule.js';
import { RpcError } from '../rpc-error.js';
import type { startGateways } from '../gateway/serve.js';
import { RpcServer } from '../server/server.js';
import { parseAddress } from '../address/address.js';
import { runtimeFeatures } from '../server/runtime.js';
import {
  type PrimaryHooks,
  forwardToWorkers,
  isFirstWorker,
  isWorker,
  leaveCluster,
  reportReady,
  runPrimary,
  workerSlots,
} from './cluster.js';
import { collect } from '../observe/collect.js';
import type { Observers } from '../observe/observe.js';
import { answerPrimary, clusterSource, localSource } from '../observe/sources.js';
import type { NodeInfo } from '../observe/stats-document.js';
import { packageVersion } from './version.js';
import { cliLog, logLine, setLogFormat } from './log-format.js';
import { type SubscribeOptions, resolveHttpListen, resolveUnsubscribeGrace } from '../server/options.js';
import type { Subscriber } from '../subscription/subscriber.js';
import type { SubscribeTarget } from '../subscription/spec.js';
import { importModules } from './imports.js';
import { type ServeOptions, serveOptions } from './serve-options.js';
import type { HandOff } from '../server/handoff-primary.js';
import { wantsHelp } from './args.js';
import { SERVE_HELP } from './serve-help.js';
import { UsageError } from './usage.js';

const write = (stream: NodeJS.WriteStream, text: string) => new Promise<void>((r) => stream.write(text, () => r()));

/**
 * `uwsgi-rpc serve`: imports the function modules, listens, prints one line per address
 * on stdout, then serves until SIGINT/SIGTERM, which close gracefully (exit code 0).
 */
export async function serve(argv: readonly string[]): Promise<number> {
  if (!isWorker) return serveHere(argv);
  try {
    return await serveHere(argv);
  } finally {
    // the IPC channel to the primary would keep a finished worker alive
    leaveCluster();
  }
}

async function serveHere(argv: readonly string[]): Promise<number> {
  if (wantsHelp(argv)) {
    await write(process.stdout, SERVE_HELP);
    return 0;
  }
  const options = serveOptions(argv);
  setLogFormat(options.logFormat);
  if (
    options.sockets.length === 0 &&
    options.sslSockets.length === 0 &&
    options.httpSockets.length === 0 &&
    options.httpsSockets.length === 0 &&
    options.wsSockets.length === 0
  ) {
    throw new UsageError(
      'serve needs at least one --socket, --ssl-socket, --http-socket, --https-socket or --ws-socket',
    );
  }
  const https = { modifier1: options.httpsModifier1, modifier2: options.httpsModifier2 };
  try {
    resolveHttpListen(https);
  } catch {
    throw new UsageError(
      `--https-socket-modifier1 ${https.modifier1} --https-socket-modifier2 ${https.modifier2}: use 173 with 2 (PATH_INFO), 3 (XML-RPC) or 4 (JSON-RPC)`,
    );
  }
  const http = { modifier1: options.httpModifier1, modifier2: options.httpModifier2 };
  try {
    resolveHttpListen(http);
  } catch {
    throw new UsageError(
      `--http-socket-modifier1 ${http.modifier1} --http-socket-modifier2 ${http.modifier2}: use 173 with 2 (PATH_INFO), 3 (XML-RPC) or 4 (JSON-RPC)`,
    );
  }
  const subscribing = options.subscribeTo.length > 0;
  if (subscribing && options.sockets.length === 0 && options.subscribeTo.some((t) => t.address === undefined)) {
    throw new UsageError(
      "--subscribe-to announces the node's uwsgi socket: give a --socket (or ADDRESS=SERVER:PORT:KEY)",
    );
  }
  const numbered = options.subscribeTo.find((t) => t.socket !== undefined && t.socket >= options.sockets.length);
  if (numbered !== undefined)
    throw new UsageError(
      `--subscribe2 ${numbered.text}: socket=${numbered.socket}, but there ${options.sockets.length === 1 ? 'is 1 --socket' : `are ${options.sockets.length} --socket`} (counted from 0)`,
    );
  if (subscribing && !isWorker) {
    // the subscriber (node:dgram, node:crypto) loads only for a server that subscribes
    const { checkSubscribeTargets } = await import('../subscription/subscriber.js');
    try {
      checkSubscribeTargets(options.subscribeTo);
    } catch (err) {
      asUsageError(err);
    }
  }
  const subscription = {
    freq: options.subscribeFreq,
    weight: options.weight,
    modifier1: options.subscribeModifier1,
    cores: options.processes,
    unsubscribeGrace: options.unsubscribeGrace,
  };
  if (options.reusePort && !isWorker && !(await runtimeFeatures()).reusePort) {
    throw new UsageError(
      `--reuse-port: this runtime (Node ${process.versions.node}) cannot share a port between processes (Node 22.12+ can)`,
    );
  }
  const observing = options.stats !== undefined || options.metrics !== undefined;
  if (options.processes > 1 && !isWorker) {
    if (options.sslSockets.length + options.httpsSockets.length > 0) forwardToWorkers('SIGHUP');
    const observers = observing
      ? await startObservers(options, clusterSource(workerSlots), nodeInfo(), observeLog).catch(asUsageError)
      : null;
    if (observers !== null) await write(process.stdout, observers.lines.map((l) => `${l}\n`).join(''));
    let handoff: HandOff | null = null;
    try {
      handoff = await handOff(options);
      return await runPrimary(
        options.processes,
        (text) => write(process.stdout, text),
        subscribing ? primarySubscriber(options.subscribeTo, subscription) : {},
        options.sharedAccept,
        handoff,
      );
    } finally {
      handoff?.dispose();
      await observers?.close();
    }
  }
  // A worker prints its listening lines through the primary, which prints them once.
  const lines: string[] = [];
  const say = isWorker
    ? async (text: string) => {
        lines.push(text);
      }
    : (text: string) => write(process.stdout, text);
  let server: RpcServer;
  try {
    server = new RpcServer({
      engine: options.engine,
      closeAfterAnswer: options.closeAfterAnswer,
      routes: options.routes,
      ...options.limits,
      chmodSocket: options.chmodSocket,
      allow: options.allow,
      log: logLine(),
    });
  } catch (err) {
    if (err instanceof RouteError) throw new UsageError(err.message);
    asUsageError(err);
  }
  // Before the first await: from here on a signal is ours, at any point of start-up, the
  // moment a ready line is out included. With --processes the primary unsubscribes before it
  // stops the workers: a terminal's ^C reaching the workers too must not close them first.
  const stop = onSignals(isWorker && subscribing ? ['SIGTERM'] : ['SIGINT', 'SIGTERM']);
  let gateways: Awaited<ReturnType<typeof startGateways>> | null = null;
  let observers: Observers | null = null;
  // with --processes the primary asks each worker for its numbers (stats, metrics, the subscription's load)
  const stopAnswering = isWorker ? answerPrimary(server, observing) : null;
  /** Some TCP socket of this worker was bound with SO_REUSEPORT (told to the primary). */
  let ownPorts = false;
  try {
    await importModules(options.imports, server);
    const names = server.registry.names();
    if (options.ignored.length > 0 && (!isWorker || isFirstWorker())) {
      cliLog(`ignoring uWSGI-only ini options (no effect here): ${options.ignored.join(', ')}`, { event: 'options' });
    }
    if (!isWorker || isFirstWorker())
      cliLog(
        names.length === 0
          ? 'no functions registered (load some with --import FILE.mjs)'
          : `${names.length} function${names.length === 1 ? '' : 's'}: ${names.join(', ')}`,
        { event: 'functions' },
      );
    // --reuse-port (bindsOwnPort): the primary is told, so it says how connections are spread
    const reusable = (socket: string) => {
      const own = bindsOwnPort(options, socket);
      if (own) ownPorts = true;
      return own;
    };
    for (const socket of options.sockets) {
      const address = await server.listen(socket, { reusePort: reusable(socket) });
      await say(`uwsgi-rpc: uwsgi socket on ${address}\n`);
    }
    for (const { address: socket, tls } of options.sslSockets) {
      let address: string;
      try {
        address = await server.listen(socket, { tls, reusePort: reusable(socket) });
      } catch (err) {
        if (err instanceof RpcError && err.code === 'INVALID')
          throw new UsageError(`--ssl-socket ${socket}: ${err.message}`);
        throw err;
      }
      await say(`uwsgi-rpc: uwsgi socket over TLS on ${address}\n`);
    }
    for (const socket of options.httpSockets) {
      let address: string;
      try {
        address = await server.listenHttp(socket, { ...http, reusePort: reusable(socket) });
      } catch (err) {
        if (err instanceof RpcError && err.code === 'INVALID')
          throw new UsageError(`--http-socket ${socket}: ${err.message}`);
        throw err;
      }
      await say(`uwsgi-rpc: http socket on ${address}\n`);
    }
    for (const { address: socket, tls } of options.httpsSockets) {
      let address: string;
      try {
        address = await server.listenHttp(socket, { ...https, tls, reusePort: reusable(socket) });
      } catch (err) {
        if (err instanceof RpcError && err.code === 'INVALID')
          throw new UsageError(`--https-socket ${socket}: ${err.message}`);
        throw err;
      }
      await say(`uwsgi-rpc: https socket on ${address}\n`);
    }
    const ws = { sockets: options.wsSockets, forward: options.wsForward, origins: options.wsOrigins };
    if (ws.sockets.length > 0) {
      // loaded only when asked for: the gateway and its WebSocket library cost ~15 MB of RSS
      const { startGateways } = await import('../gateway/serve.js');
      gateways = await startGateways(server, ws, (line) => cliLog(line, { event: 'gateway' })).catch(asUsageError);
      for (const line of gateways.lines) await say(`${line}\n`);
    }
    if (observing && !isWorker) {
      observers = await startObservers(options, localSource(server), nodeInfo(), observeLog).catch(asUsageError);
      for (const line of observers.lines) await say(`${line}\n`);
    }
    if (subscribing && !isWorker) {
      await server.subscribe(bySocketNumber(options.subscribeTo, server.addresses), subscription).catch(asUsageError);
    }
  } catch (err) {
    stop.cancel();
    stopAnswering?.();
    await Promise.all([server.close(), observers?.close()]);
    throw err;
  }
  const tlsSockets = options.sslSockets.length + options.httpsSockets.length;
  const reload = tlsSockets > 0 ? reloadTlsOnHup(server) : null;
  if (isWorker) reportReady(lines, server.addresses, ownPorts);
  else if (process.env.npm_lifecycle_event === 'start') await write(process.stdout, tryLines(server));
  const signal = await stop.signal;
  cliLog(`${isWorker ? `worker ${process.pid}: ` : ''}${signal}: closing (running calls may finish)`, {
    event: 'closing',
  });
  reload?.();
  await Promise.all([server.close(), gateways?.close(), observers?.close()]);
  stopAnswering?.();
  stop.cancel();
  return 0;
}

const observeLog = (line: string) => cliLog(line, { event: 'observe' });

/** The stats and metrics servers (node:http, the dashboard), loaded only for --stats or --metrics. */
const startObservers: typeof import('../observe/observe.js').startObservers = async (...args) =>
  (await import('../observe/observe.js')).startObservers(...args);

/** What the stats document says of this process. */
function nodeInfo(): NodeInfo {
  return {
    version: `uwsgi-rpc ${packageVersion()}`,
    pid: process.pid,
    uid: process.getuid?.() ?? 0,
    gid: process.getgid?.() ?? 0,
    cwd: process.cwd(),
  };
}

/**
 * SIGHUP (uWSGI's reload signal) re-reads the TLS sockets' certificates, keys and CAs: new connections use them, open
 * ones go on. Returns the undo.
 */
function reloadTlsOnHup(server: RpcServer): () => void {
  const who = isWorker ? `worker ${process.pid}: ` : '';
  const onHup = () => {
    try {
      server.reloadTls();
      cliLog(`${who}SIGHUP: TLS certificates and keys reloaded`, { event: 'reload' });
    } catch {
      // reloadTls() logged which socket keeps its old files
    }
  };
  process.on('SIGHUP', onHup);
  return () => process.off('SIGHUP', onHup);
}

/**
 * `signals` from now on no longer kill the process: the first resolves `signal`; a second
 * one, however soon, gives up on running calls and exits (code 1). The other of
 * SIGINT/SIGTERM is ignored. cancel() gives them back.
 */
function onSignals(signals: NodeJS.Signals[]): { signal: Promise<NodeJS.Signals>; cancel: () => void } {
  let first: ((s: NodeJS.Signals) => void) | null = null;
  const signal = new Promise<NodeJS.Signals>((resolve) => {
    first = resolve;
  });
  const on = (s: NodeJS.Signals) => {
    if (first === null) process.exit(1);
    first(s);
    first = null;
  };
  const ignore = () => {};
  const ignored = (['SIGINT', 'SIGTERM'] as const).filter((s) => !signals.includes(s));
  for (const s of signals) process.on(s, on);
  for (const s of ignored) process.on(s, ignore);
  const cancel = () => {
    for (const s of signals) process.off(s, on);
    for (const s of ignored) process.off(s, ignore);
  };
  return { signal, cancel };
}

/**
 * --reuse-port: a TCP socket with a fixed port is bound by each process itself with SO_REUSEPORT, so the kernel
 * spreads connections over the --processes workers and another serve can share the port. Port 0 stays as it is:
 * each process would get a port of its own.
 */
function bindsOwnPort(options: ServeOptions, socket: string): boolean {
  if (!options.reusePort) return false;
  const a = parseAddress(socket);
  return a.kind === 'tcp' && a.port !== 0;
}

/**
 * --processes N, unless --shared-accept: the primary binds the listeners and hands each connection to a worker,
 * taking back those a dying worker had not taken (handoff-primary.ts). Bun cannot pass a descriptor to a worker:
 * there, node:cluster's own hand-off.
 */
async function handOff(options: ServeOptions): Promise<HandOff | null> {
  if (options.sharedAccept || process.versions.bun !== undefined) return null;
  const addresses = [
    ...options.sockets,
    ...options.sslSockets.map((s) => s.address),
    ...options.httpSockets,
    ...options.httpsSockets.map((s) => s.address),
  ].filter((a) => !bindsOwnPort(options, a));
  if (addresses.length === 0) return null;
  const { HandOff } = await import('../server/handoff-primary.js');
  return HandOff.listen(addresses, options.limits.backlog);
}

/** Rethrows `err`, an RpcError INVALID (a bad option value found late) as a usage error. */
function asUsageError(err: unknown): never {
  if (err instanceof RpcError && err.code === 'INVALID') throw new UsageError(err.message);
  throw err;
}

/** --subscribe2 socket=N: the Nth --socket as bound (listened first, in order); as in uWSGI it wins over addr. */
function bySocketNumber(targets: SubscribeTarget[], addresses: string[]): SubscribeTarget[] {
  return targets.map((t) => (t.socket === undefined ? t : { ...t, address: addresses[t.socket] }));
}

/** --processes N: the primary announces the node (once its workers listen) and unsubscribes before stopping them. */
function primarySubscriber(targets: SubscribeTarget[], options: SubscribeOptions): PrimaryHooks {
  let subscriber: Subscriber | null = null;
  // the load announced: the workers' open connections, as each last told
  let load = 0;
  let polling: NodeJS.Timeout | null = null;
  const poll = () =>
    collect(workerSlots(), false).then(({ reports }) => {
      load = reports.reduce((n, r) => n + r.server.connections, 0);
    });
  return {
    async ready(addresses) {
      await poll();
      polling = setInterval(() => void poll(), LOAD_POLL);
      polling.unref();
      // workers listen on the --socket values first: [0] is the first uwsgi socket, when there is one
      const address = addresses[0] ?? targets[0].address!;
      const { Subscriber } = await import('../subscription/subscriber.js');
      subscriber = new Subscriber({
        ...options,
        subscribeTo: bySocketNumber(targets, addresses),
        address,
        load: () => load,
      });
      await subscriber.start();
    },
    async stopping() {
      if (polling !== null) clearInterval(polling);
      await subscriber?.stop(resolveUnsubscribeGrace(options));
    },
  };
}

/** How often the primary asks its workers for their connection count (the subscription's load). */
const LOAD_POLL = 1000;

/** Under `npm start`: how to call what is served, with the CLI. */
function tryLines(server: RpcServer): string {
  const address = server.addresses[0];
  const names = new Set(server.registry.names());
  const examples = [['hello'], ['echo', 'a', 'b', 'c'], ['upper', "'hello world'"], ['sum', '1', '2', '3.5']].filter(
    ([name]) => names.has(name),
  );
  if (examples.length === 0 && names.size > 0) examples.push([[...names][0]]);
  return examples.map((e) => `try: npx uwsgi-rpc call ${address} ${e.join(' ')}\n`).join('');
}
