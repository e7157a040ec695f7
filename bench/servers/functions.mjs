// The bench's functions, for servers/ours.mjs and for `uwsgi-rpc serve --import` (--processes N).
export default (rpc) => {
  rpc.register('echo', (a, b) => `${a}|${b}`);
  // n bytes (the 1 MB result case), a new buffer each call as the other servers do
  rpc.register('big', (n) => Buffer.alloc(Number(n), 120));
};
