// Our server with the bench's functions. node servers/ours.mjs PORT [engine] [observe|-] [never]
// observe: every call timed and counted for stats and metrics (what serve --stats/--metrics
// turn on), and the metrics read once a second, as a scraper would (more often than most).
// never: closeAfterAnswer 'never' (one-shot callers' connections stay open until they close).
import { RpcServer } from '../../dist/src/index.js';
import functions from './functions.mjs';

const port = Number(process.argv[2] ?? 3031);
const server = new RpcServer({
  engine: /** @type {'auto' | 'wasm' | 'ts'} */ (process.argv[3] ?? 'auto'),
  closeAfterAnswer: process.argv[5] === 'never' ? 'never' : 'lone',
  log: () => {},
});
functions(server);
if (process.argv[4] === 'observe') {
  const metrics = server.metrics;
  setInterval(() => void metrics.metrics(), 1000).unref();
}
await server.listen(`127.0.0.1:${port}`);
console.log(`uwsgi-rpc on 127.0.0.1:${port}`);
process.on('SIGINT', () => server.close().then(() => process.exit(0)));

// The bench sends SIGUSR2 before it reads RSS "after each round" (started with --expose-gc): retained memory, not garbage not yet collected.
process.on('SIGUSR2', () => globalThis.gc?.());
