// Our server with the bench's echo function. node servers/ours.mjs PORT [engine]
import { RpcServer } from '../../dist/src/index.js';

const port = Number(process.argv[2] ?? 3031);
const server = new RpcServer({ engine: process.argv[3] ?? 'auto', log: () => {} });
server.register('echo', (a, b) => `${a}|${b}`);
await server.listen(`127.0.0.1:${port}`);
console.log(`uwsgi-rpc on 127.0.0.1:${port}`);
process.on('SIGINT', () => server.close().then(() => process.exit(0)));
