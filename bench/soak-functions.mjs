// Functions for bench/soak.mjs: served by `uwsgi-rpc serve --import bench/soak-functions.mjs`.
import { sized } from 'uwsgi-rpc';

const CHUNK = 64 << 10;

export default (rpc) => {
  rpc.register('echo', (a, b) => `${a}|${b}`);
  // n bytes in one buffer: the 64-bit form above 65535
  rpc.register('blob', (n) => Buffer.alloc(Number(n), 0x61));
  // n bytes streamed in 64 KB chunks made one at a time (a SizedStream)
  rpc.register('stream', (n) => {
    const total = Number(n);
    return sized(
      total,
      (async function* () {
        for (let at = 0; at < total; at += CHUNK) yield Buffer.alloc(Math.min(CHUNK, total - at), 0x62);
      })(),
    );
  });
  rpc.register('later', async (x) => {
    await new Promise((r) => setTimeout(r, 2));
    return x;
  });
};
