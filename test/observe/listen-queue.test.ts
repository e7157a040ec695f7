// The stats' listen queue comes from the kernel: connections a listener has not accepted yet,
// made here against a python3 socket that listens and never accepts.
import { spawn } from 'node:child_process';
import { type Socket, connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { listenQueues, maxListenQueue } from '../../src/observe/listen-queue.js';
import { requirePeer, which } from '../helpers/peers.js';
import { eventually } from '../helpers/router-stats.js';

const LISTENER = `
import socket, sys, time
s = socket.socket()
s.bind(('127.0.0.1', 0))
s.listen(16)
print(s.getsockname()[1], flush=True)
sys.stdin.read()
`;

describe.skipIf(!requirePeer('python3', which('python3') !== null, 'apt-get install python3'))('listenQueues', () => {
  it('counts the connections waiting to be accepted on a port', async () => {
    const child = spawn('python3', ['-c', LISTENER], { stdio: ['pipe', 'pipe', 'inherit'] });
    const held: Socket[] = [];
    try {
      const port = await new Promise<number>((resolve, reject) => {
        child.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
        child.once('exit', (code) => reject(new Error(`python3 exited (${code})`)));
      });
      expect(listenQueues().get(port)).toEqual({ queue: 0 });
      for (let i = 0; i < 3; i++)
        held.push(
          await new Promise<Socket>((resolve) => {
            const c = connect(port, '127.0.0.1', () => resolve(c));
          }),
        );
      await eventually(
        '3 connections queued',
        async () => listenQueues().get(port)?.queue,
        (q) => q === 3,
      );
      expect(maxListenQueue()).toBeGreaterThan(0);
    } finally {
      for (const c of held) c.destroy();
      const exited = new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
      child.stdin.end();
      child.kill();
      await exited;
    }
  });
});
