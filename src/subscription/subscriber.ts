// The Node side of subscriptions: announces a node to uWSGI routers over UDP (signed where asked), repeats, and
// unsubscribes.
import { type KeyObject, createPrivateKey, sign as rsaSign } from 'node:crypto';
import dgram from 'node:dgram';
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { RpcError } from '../rpc-error.js';
import { type Announcement, SUBSCRIBE, UNSUBSCRIBE, type SignOptions, encodeSubscription } from './packet.js';
import { DEFAULT_SUBSCRIBE_FREQ, type SubscribeTarget, parseKeyFile, parseSubscribeTo } from './spec.js';
import { formatAddress, parseAddress } from '../address/address.js';

export interface SubscriberOptions {
  /** `--subscribe-to` values (`SERVER:PORT:KEY[,MODIFIER1[,DIGEST:KEYFILE]]`) or parsed targets. */
  subscribeTo: readonly (string | SubscribeTarget)[];
  /**
   * The node's uwsgi socket, as routers should connect to it. A wildcard host (0.0.0.0, ::) is replaced by the address
   * that reaches each server.
   */
  address: string;
  /** Worker processes (uWSGI: processes x cores). Default 1. */
  cores?: number;
  /** Share of the pool's calls (uWSGI's --weight). Default: cores, as uWSGI's --auto-weight. */
  weight?: number;
  /** Told to the router at each announce (uWSGI sends its listen queue). Default 0. */
  load?: () => number;
  /** Seconds between announces (uWSGI's --subscribe-freq). */
  freq?: number;
  /** uWSGI's --subscribe-with-modifier1: this modifier1 for every target. */
  modifier1?: number;
  /** One line per event (announcing, a server unreachable, unsubscribed). Default: a line on stderr. */
  log?: (line: string) => void;
}

interface Target {
  spec: SubscribeTarget;
  signKey: KeyObject | null;
  socket: dgram.Socket | null;
  /** The local address the connected socket sends from (for wildcard listen addresses). */
  local: string;
  /** Told once: what is announced where. */
  announced: boolean;
  /**
   * UDP has no answer: only errors tell (a send failing, or an ICMP "port unreachable"
   * reported on the connected socket). `down` once one was logged, until a whole round
   * passes without one, so a dead server is told once, not every round.
   */
  down: boolean;
  errors: number;
}

/**
 * Announces a node to uWSGI subscription servers (rawrouter, fastrouter, http router) the
 * way a uWSGI node does: a UDP datagram per key at start and every `freq` seconds, an
 * unsubscribe when leaving. Routers drop nodes that stop announcing, so a node that dies
 * leaves their pools by itself.
 */
export class Subscriber {
  readonly freq: number;
  private readonly targets: Target[];
  private readonly address: string;
  private readonly cores: number;
  private readonly weight: number;
  private readonly load: () => number;
  private readonly modifier1: number | undefined;
  private readonly log: (line: string) => void;
  private timer: NodeJS.Timeout | null = null;
  private round: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(options: SubscriberOptions) {
    const int = (n: number | undefined, what: string, min: number, max = 1 << 30) => {
      if (n !== undefined && !(Number.isInteger(n) && n >= min && n <= max))
        throw new RpcError('INVALID', `${what} ${n}: an integer ${min}..${max}`);
      return n;
    };
    this.cores = int(options.cores, 'cores', 1) ?? 1;
    this.weight = int(options.weight, 'weight', 0) ?? this.cores;
    this.freq = int(options.freq, 'subscribe-freq', 1, 86_400) ?? DEFAULT_SUBSCRIBE_FREQ;
    this.modifier1 = int(options.modifier1, 'subscribe-with-modifier1', 0, 255);
    if (typeof options.address !== 'string' || options.address === '')
      throw new RpcError('INVALID', "a subscriber needs the address of the node's uwsgi socket");
    this.address = options.address;
    this.load = options.load ?? (() => 0);
    this.log = options.log ?? stderrLog;
    if (options.subscribeTo.length === 0) throw new RpcError('INVALID', 'no subscription server given');
    this.targets = options.subscribeTo.map((s) => {
      const spec = typeof s === 'string' ? parseSubscribeTo(s) : s;
      return {
        spec,
        signKey: spec.sign ? loadSignKey(spec) : null,
        socket: null,
        local: '',
        announced: false,
        down: false,
        errors: 0,
      };
    });
  }

  /**
   * Announces now, then every `freq` seconds until stop(). Resolves once the first datagrams are sent (or failed: that
   * is logged and retried).
   */
  start(): Promise<void> {
    if (this.timer === null && !this.stopped) {
      this.timer = setInterval(() => void this.announce(), this.freq * 1000);
      this.timer.unref();
    }
    return this.announce();
  }

  /** One round of subscribe datagrams (rounds never overlap). */
  announce(): Promise<void> {
    return this.send(SUBSCRIBE);
  }

  /**
   * Stops announcing and unsubscribes. With `graceMs`, resolves that much later, having sent
   * the unsubscribe again halfway (UDP may lose one): keep accepting connections until then.
   */
  async stop(graceMs = 0): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    if (this.stopped) return;
    this.stopped = true;
    await this.send(UNSUBSCRIBE);
    if (graceMs > 0) {
      await sleep(graceMs / 2);
      await this.send(UNSUBSCRIBE, true);
      await sleep(graceMs / 2);
    }
    for (const t of this.targets) {
      t.socket?.close();
      t.socket = null;
    }
  }

  private send(command: number, quiet = false): Promise<void> {
    this.round = this.round
      .then(() => Promise.all(this.targets.map((t) => this.sendTo(t, command, quiet))))
      .then(() => {});
    return this.round;
  }

  private async sendTo(t: Target, command: number, quiet: boolean): Promise<void> {
    const server = t.spec.server;
    if (t.down && t.errors === 0 && command === SUBSCRIBE) {
      this.log(`subscription server ${server}: announces go through again`);
      t.down = false;
    }
    t.errors = 0;
    try {
      // uWSGI's --subscribe2 check=FILE: a node in maintenance says nothing while FILE exists
      if (t.spec.check !== undefined && existsSync(t.spec.check)) return;
      const keys = await this.keysOf(t);
      const socket = await this.socketFor(t);
      const announced = t.spec.address ?? withHost(this.address, t.local);
      const weight = t.spec.weight ?? this.weight;
      // the same for every key of this round
      const node = {
        address: announced,
        modifier2: t.spec.modifier2 ?? 0,
        cores: this.cores,
        load: Math.max(0, Math.floor(this.load())),
        weight,
        sniKey: t.spec.sni?.key,
        sniCrt: t.spec.sni?.crt,
        sniCa: t.spec.sni?.ca,
      };
      const { signKey, spec } = t;
      const signing: SignOptions | undefined =
        signKey === null || spec.sign === undefined
          ? undefined
          : { now: Date.now() / 1000, sign: (base) => rsaSign(spec.sign!.digest, base, signKey) };
      for (const { key, modifier1 } of keys) {
        const a: Announcement = { ...node, key, modifier1: this.modifier1 ?? modifier1 };
        const packet = encodeSubscription(a, command, signing);
        await new Promise<void>((resolve, reject) => socket.send(packet, (err) => (err ? reject(err) : resolve())));
      }
      if (command === UNSUBSCRIBE) {
        if (!quiet) this.log(`unsubscribed from ${server} (${keys.map((k) => k.key).join(', ')})`);
      } else if (!t.announced) {
        t.announced = true;
        this.log(
          `announcing to ${server}: ${keys.map((k) => k.key).join(', ')} -> ${announced} (weight ${weight}, every ${this.freq} s)`,
        );
      }
    } catch (err) {
      this.failed(t, err as Error, quiet);
    }
  }

  private failed(t: Target, err: Error, quiet: boolean): void {
    t.errors++;
    // a connected UDP socket that got an ICMP error keeps failing: start afresh next round
    t.socket?.close();
    t.socket = null;
    if (t.down || quiet || this.stopped) return;
    t.down = true;
    this.log(`subscription server ${t.spec.server}: ${err.message}; still announcing every ${this.freq} s`);
  }

  private async keysOf(t: Target): Promise<{ key: string; modifier1: number }[]> {
    const k = t.spec.key;
    if ('name' in k) return [{ key: k.name, modifier1: t.spec.modifier1 }];
    // read at every announce, as uWSGI does: editing the file changes the pools
    const { keys, bad } = parseKeyFile(await readFile(k.file, 'utf8'));
    if (bad.length > 0 && !t.announced)
      this.log(
        `${k.file}: skipping lines that are not KEY[,MODIFIER1]: ${bad.map((l) => JSON.stringify(l)).join(', ')}`,
      );
    return keys;
  }

  private socketFor(t: Target): Promise<dgram.Socket> {
    if (t.socket !== null) return Promise.resolve(t.socket);
    // a parsed --subscribe-to server is always HOST:PORT or [V6]:PORT
    const { host, port } = parseAddress(t.spec.server) as { host: string; port: number };
    const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
    socket.unref();
    return new Promise((resolve, reject) => {
      const failed = (err: Error) => {
        socket.close();
        reject(err);
      };
      socket.once('error', failed);
      socket.connect(port, host, () => {
        socket.off('error', failed);
        // ICMP errors (nothing listens there) come back on the connected socket
        socket.on('error', (err) => {
          if (t.socket === socket) this.failed(t, err, false);
        });
        t.local = socket.address().address;
        t.socket = socket;
        resolve(socket);
      });
    });
  }
}

/** Loads the signing keys of `targets` now (a CLI checks them before it starts workers); throws RpcError INVALID. */
export function checkSubscribeTargets(targets: readonly SubscribeTarget[]): void {
  for (const t of targets) if (t.sign) loadSignKey(t);
}

function loadSignKey(spec: SubscribeTarget): KeyObject {
  const { digest, keyFile } = spec.sign!;
  let key: KeyObject;
  try {
    key = createPrivateKey(readFileSync(keyFile));
  } catch (err) {
    throw new RpcError(
      'INVALID',
      `--subscribe-to ${spec.text}: cannot read a private key from ${keyFile}: ${(err as Error).message}`,
    );
  }
  try {
    rsaSign(digest, new Uint8Array(0), key);
  } catch (err) {
    throw new RpcError(
      'INVALID',
      `--subscribe-to ${spec.text}: cannot sign with digest "${digest}" and ${keyFile}: ${(err as Error).message}`,
    );
  }
  return key;
}

/** A listen address on every interface names no host a router can reach: use the one that reaches the router. */
function withHost(address: string, local: string): string {
  const m = /^(0\.0\.0\.0|\[::\]|::):(\d+)$/.exec(address);
  if (m === null || local === '') return address;
  return formatAddress({ kind: 'tcp', host: local, port: Number(m[2]) });
}

/** The default log (a server passes its own): the same line format as the server's. */
function stderrLog(line: string): void {
  process.stderr.write(`uwsgi-rpc: ${line}\n`);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
