// serve's flags and ini keys (uWSGI's names) read into ServeOptions, with usage errors for bad values.
import type { EngineChoice } from '../codec/create.js';
import {
  CLOSE_AFTER_ANSWER,
  type CloseAfterAnswer,
  DEFAULT_CLOSE_AFTER_ANSWER,
  DEFAULT_ENGINE,
  type ServerLimits,
} from '../server/options.js';
import { ROUTE_OPTIONS } from '../routing/parse-rule.js';
import type { RouteOption } from '../routing/router.js';
import { type OptionSpecs, parseArgs } from './args.js';
import { readIni } from './ini.js';
import { type SubscribeTarget, parseSubscribe2, parseSubscribeTo } from '../subscription/spec.js';
import { type TlsSocket, parseTlsSocket } from './ssl-socket.js';
import { UsageError } from './usage.js';
import { parseAddress } from '../address/address.js';
import { DEFAULT_LOG_FORMAT, LOG_FORMATS, type LogFormat } from './log-format.js';

const isLogFormat = (v: string): v is LogFormat => (LOG_FORMATS as readonly string[]).includes(v);

export interface ServeOptions {
  sockets: string[];
  /** uWSGI's --ssl-socket (alias --suwsgi-socket): the uwsgi protocol over TLS. */
  sslSockets: TlsSocket[];
  httpSockets: string[];
  /** uWSGI's --https-socket: HTTP over TLS, with --https-socket-modifier1/2 of its own (as uWSGI). */
  httpsSockets: TlsSocket[];
  httpsModifier1: number;
  httpsModifier2: number;
  /** --ws-socket (WebSocket gateway), --ws-forward nodes, --ws-origin allow-list. */
  wsSockets: string[];
  wsForward: string[];
  wsOrigins: string[];
  /** uWSGI's --http-socket-modifier1/2: 0/0 routes only; 173 with 2, 3 or 4: that RPC bridge. */
  httpModifier1: number;
  httpModifier2: number;
  /** Routing options (route, route-uri, route-label ...) in the order given. */
  routes: RouteOption[];
  imports: string[];
  engine: EngineChoice;
  /** --close-after-answer lone|never (RpcServerOptions.closeAfterAnswer). */
  closeAfterAnswer: CloseAfterAnswer;
  /** --listen, --max-conns, --socket-timeout ... (times converted to ms). */
  limits: Partial<ServerLimits>;
  /** uWSGI's --chmod-socket: mode of unix sockets ("1" is 666, as uWSGI). */
  chmodSocket?: number;
  /** Client networks allowed on TCP sockets (--allow NET/BITS, repeatable). */
  allow?: string[];
  /** uWSGI's --processes: worker processes sharing the sockets (node:cluster). */
  processes: number;
  /** uWSGI's --reuse-port: each process binds its TCP sockets itself, with SO_REUSEPORT. */
  reusePort: boolean;
  /** --shared-accept: every worker accepts on the shared sockets itself (node:cluster SCHED_NONE, uWSGI's model). */
  sharedAccept: boolean;
  /**
   * uWSGI's --subscribe-to (alias --st, --subscribe) and --subscribe2: routers' subscription servers to announce this
   * node to.
   */
  subscribeTo: SubscribeTarget[];
  /** --subscribe-freq seconds, --weight, --subscribe-with-modifier1, --unsubscribe-grace (seconds, as ms). */
  subscribeFreq?: number;
  weight?: number;
  subscribeModifier1?: number;
  unsubscribeGrace?: number;
  /** uWSGI's --stats ADDRESS, --stats-http, --stats-minified; --metrics HOST:PORT (Prometheus, dashboard). */
  stats?: string;
  statsHttp: boolean;
  statsMinified: boolean;
  metrics?: string;
  /** --log-format text|json: how lines are written on stderr. */
  logFormat: LogFormat;
  /** uWSGI-only ini keys skipped (see UWSGI_ONLY), as `FILE: key`, for one warning line. */
  ignored: string[];
}

/**
 * uWSGI options that mean something only inside uWSGI (its process model, its language
 * plugins, its logging): an ini shared with a uWSGI node may hold them, so an ini key of
 * these is skipped with a warning instead of failing. On the command line they stay errors.
 */
const UWSGI_ONLY = new Set([
  'master',
  'plugin',
  'plugins',
  'plugins-dir',
  'enable-threads',
  'threads',
  'workers',
  'uid',
  'gid',
  'vacuum',
  'die-on-term',
  'no-orphans',
  'need-app',
  'strict',
  'single-interpreter',
  'lazy-apps',
  'thunder-lock',
  'disable-logging',
  'logto',
  'pidfile',
  'daemonize',
  'memory-report',
  'chdir',
  'home',
  'virtualenv',
  'venv',
  'python-path',
  'pythonpath',
  'wsgi-file',
  'module',
  'callable',
  'lua',
  'psgi',
  'cheaper',
  'max-requests',
  'reload-mercy',
  'worker-reload-mercy',
  'post-buffering',
  'honour-stdin',
  'auto-procname',
  'procname-prefix',
  'touch-reload',
]);

/**
 * Limit options: uWSGI's names where it has one. Times are seconds on the command line
 * (as uWSGI), ms in RpcServer's options.
 */
export const LIMIT_OPTIONS: Readonly<Record<string, { key: keyof ServerLimits; seconds: boolean }>> = {
  listen: { key: 'backlog', seconds: false },
  'max-conns': { key: 'maxConns', seconds: false },
  'socket-timeout': { key: 'socketTimeout', seconds: true },
  'request-timeout': { key: 'requestTimeout', seconds: true },
  'keepalive-timeout': { key: 'keepaliveTimeout', seconds: true },
  harakiri: { key: 'harakiri', seconds: true },
  'buffer-size': { key: 'bufferSize', seconds: false },
  'max-inflight': { key: 'maxInFlight', seconds: false },
  'max-pending-bytes': { key: 'maxPendingBytes', seconds: false },
};

/** Worker processes without --processes (the engine's default is the server's, DEFAULT_ENGINE). */
export const DEFAULT_PROCESSES = 1;

const value = { value: true } as const;

/** uWSGI's option names, as flags (`--socket`) and as ini keys (`socket = ...`). */
export const SERVE_OPTIONS: OptionSpecs = {
  socket: value,
  'ssl-socket': value,
  'suwsgi-socket': value,
  import: value,
  ini: value,
  engine: value,
  'close-after-answer': value,
  processes: value,
  'reuse-port': { value: false },
  'shared-accept': { value: false },
  'chmod-socket': value,
  allow: value,
  'http-socket': value,
  'http-socket-modifier1': value,
  'http-socket-modifier2': value,
  'https-socket': value,
  'https-socket-modifier1': value,
  'https-socket-modifier2': value,
  'ws-socket': value,
  'ws-forward': value,
  'ws-origin': value,
  'subscribe-to': value,
  st: value,
  subscribe: value,
  subscribe2: value,
  'subscribe-freq': value,
  weight: value,
  'subscribe-with-modifier1': value,
  'unsubscribe-grace': value,
  stats: value,
  'stats-http': { value: false },
  'stats-minified': { value: false },
  metrics: value,
  'log-format': value,
  ...Object.fromEntries(Object.keys(LIMIT_OPTIONS).map((name) => [name, value])),
  ...Object.fromEntries(ROUTE_OPTIONS.map((name) => [name, value])),
  help: { value: false },
};

const ROUTING = new Set(ROUTE_OPTIONS);

const ENGINES = new Set(['auto', 'wasm', 'ts']);
/** ini files may include others (`ini = base.ini`); a loop must not hang the CLI. */
const MAX_INI_DEPTH = 10;

/** Flags and --ini sections merged in command-line order: lists accumulate, the last engine wins. */
export function serveOptions(argv: readonly string[]): ServeOptions {
  const { entries, positional } = parseArgs(argv, SERVE_OPTIONS);
  if (positional.length > 0) throw new UsageError(`serve takes no arguments, got "${positional[0]}"`);
  const options: ServeOptions = {
    sockets: [],
    sslSockets: [],
    httpSockets: [],
    httpsSockets: [],
    httpsModifier1: 0,
    httpsModifier2: 0,
    wsSockets: [],
    wsForward: [],
    wsOrigins: [],
    httpModifier1: 0,
    httpModifier2: 0,
    routes: [],
    imports: [],
    engine: DEFAULT_ENGINE,
    closeAfterAnswer: DEFAULT_CLOSE_AFTER_ANSWER,
    limits: {},
    processes: DEFAULT_PROCESSES,
    reusePort: false,
    sharedAccept: false,
    statsHttp: false,
    statsMinified: false,
    logFormat: DEFAULT_LOG_FORMAT,
    subscribeTo: [],
    ignored: [],
  };
  apply(entries, options, 0);
  return options;
}

function apply(entries: readonly [string, string][], o: ServeOptions, depth: number): void {
  for (const [name, v] of entries) {
    if (ROUTING.has(name)) {
      o.routes.push([name, v]);
      continue;
    }
    const limit = Object.hasOwn(LIMIT_OPTIONS, name) ? LIMIT_OPTIONS[name] : undefined;
    if (limit !== undefined) {
      o.limits[limit.key] = limitValue(name, v, limit.seconds);
      continue;
    }
    switch (name) {
      case 'socket':
        o.sockets.push(v);
        break;
      case 'ssl-socket':
      case 'suwsgi-socket':
        o.sslSockets.push(parseTlsSocket(name, v));
        break;
      case 'http-socket':
        o.httpSockets.push(v);
        break;
      case 'ws-socket':
        o.wsSockets.push(v);
        break;
      case 'ws-forward':
        o.wsForward.push(v);
        break;
      case 'ws-origin':
        o.wsOrigins.push(v);
        break;
      case 'https-socket':
        o.httpsSockets.push(parseTlsSocket(name, v));
        break;
      case 'https-socket-modifier1':
        o.httpsModifier1 = modifier(name, v);
        break;
      case 'https-socket-modifier2':
        o.httpsModifier2 = modifier(name, v);
        break;
      case 'http-socket-modifier1':
        o.httpModifier1 = modifier(name, v);
        break;
      case 'http-socket-modifier2':
        o.httpModifier2 = modifier(name, v);
        break;
      case 'import':
        o.imports.push(v);
        break;
      case 'subscribe-to':
      case 'st':
      case 'subscribe':
      case 'subscribe2':
        try {
          o.subscribeTo.push(name === 'subscribe2' ? parseSubscribe2(v) : parseSubscribeTo(v));
        } catch (err) {
          throw new UsageError((err as Error).message);
        }
        break;
      case 'subscribe-freq':
        o.subscribeFreq = integer(name, v, 1, 86_400);
        break;
      case 'weight':
        o.weight = integer(name, v, 0, 1 << 30);
        break;
      case 'subscribe-with-modifier1':
        o.subscribeModifier1 = modifier(name, v);
        break;
      case 'unsubscribe-grace':
        o.unsubscribeGrace = limitValue(name, v, true);
        break;
      case 'stats':
        o.stats = address(name, v);
        break;
      case 'stats-http':
        o.statsHttp = boolean(name, v);
        break;
      case 'stats-minified':
        o.statsMinified = boolean(name, v);
        break;
      case 'metrics':
        o.metrics = address(name, v);
        if (o.metrics.includes('/') || o.metrics.startsWith('@'))
          throw new UsageError(`--metrics ${v}: HOST:PORT (an HTTP server for Prometheus and the dashboard)`);
        break;
      case 'log-format':
        if (!isLogFormat(v.trim())) throw new UsageError(`--log-format ${v}: ${LOG_FORMATS.join(' or ')}`);
        o.logFormat = v.trim() as LogFormat;
        break;
      case 'help':
        break; // answered before parsing (wantsHelp)
      case 'engine':
        if (!ENGINES.has(v)) throw new UsageError(`--engine ${v}: use auto, wasm or ts`);
        o.engine = v as EngineChoice;
        break;
      case 'close-after-answer':
        if (!(CLOSE_AFTER_ANSWER as readonly string[]).includes(v.trim()))
          throw new UsageError(`--close-after-answer ${v}: use ${CLOSE_AFTER_ANSWER.join(' or ')}`);
        o.closeAfterAnswer = v.trim() as CloseAfterAnswer;
        break;
      case 'chmod-socket':
        if (!/^(1|[0-7]{3})$/.test(v.trim()))
          throw new UsageError(`--chmod-socket ${v}: three octal digits (660), or 1 for 666 as uWSGI`);
        o.chmodSocket = v.trim() === '1' ? 0o666 : parseInt(v.trim(), 8);
        break;
      case 'allow':
        (o.allow ??= []).push(v.trim());
        break;
      case 'processes':
        o.processes = integer(name, v, 1, 1024);
        break;
      case 'reuse-port':
        o.reusePort = boolean(name, v);
        break;
      case 'shared-accept':
        o.sharedAccept = boolean(name, v);
        break;
      case 'ini':
        if (depth >= MAX_INI_DEPTH)
          throw new UsageError(`--ini ${v}: ini files nested more than ${MAX_INI_DEPTH} deep`);
        apply(checkIni(v, readIni(v), o), o, depth + 1);
        break;
      default:
        throw new UsageError(`unknown option --${name}`);
    }
  }
}

/** A count (>= 1), or seconds (>= 0, decimals allowed: 0.5) returned as ms; 0 seconds: no limit. */
function limitValue(name: string, v: string, seconds: boolean): number {
  const t = v.trim();
  const n = Number(t);
  if (seconds) {
    if (!/^\d+(\.\d+)?$/.test(t)) throw new UsageError(`--${name} ${v}: seconds, a number >= 0 (0: no limit)`);
    return Math.round(n * 1000);
  }
  if (!/^\d+$/.test(t) || n < 1 || !Number.isSafeInteger(n)) throw new UsageError(`--${name} ${v}: an integer >= 1`);
  return n;
}

/** A flag (given: 'true'), or an ini value as uWSGI reads one. */
function boolean(name: string, v: string): boolean {
  const t = v.trim().toLowerCase();
  if (t === 'true' || t === '1' || t === 'yes' || t === 'on') return true;
  if (t === 'false' || t === '0' || t === 'no' || t === 'off') return false;
  throw new UsageError(`--${name} ${v}: true or false`);
}

/** An address as --socket takes it (HOST:PORT, :PORT, a unix socket path). */
function address(name: string, v: string): string {
  const t = v.trim();
  try {
    parseAddress(t);
  } catch (err) {
    throw new UsageError(`--${name} ${v}: ${(err as Error).message}`);
  }
  return t;
}

function integer(name: string, v: string, min: number, max: number): number {
  const n = Number(v.trim());
  if (!/^\d+$/.test(v.trim()) || n < min || n > max) throw new UsageError(`--${name} ${v}: an integer ${min}..${max}`);
  return n;
}

function modifier(name: string, v: string): number {
  const n = Number(v.trim());
  if (!/^\d+$/.test(v.trim()) || n > 255) throw new UsageError(`--${name} ${v}: a modifier is 0..255`);
  return n;
}

/** Keys of an ini section must be serve options that take a value, or uWSGI-only ones (skipped). */
function checkIni(spec: string, entries: [string, string][], o: ServeOptions): [string, string][] {
  const kept: [string, string][] = [];
  for (const entry of entries) {
    const key = entry[0];
    const known = Object.hasOwn(SERVE_OPTIONS, key) ? SERVE_OPTIONS[key] : undefined;
    // uWSGI's own log-format is a request-line template: an ini shared with a uWSGI node may hold one
    if (key === 'log-format' && !isLogFormat(entry[1].trim())) o.ignored.push(`${spec}: ${key}`);
    else if (known?.value) kept.push(entry);
    else if (UWSGI_ONLY.has(key)) o.ignored.push(`${spec}: ${key}`);
    else throw new UsageError(`--ini ${spec}: unknown option "${key}"`);
  }
  return kept;
}
