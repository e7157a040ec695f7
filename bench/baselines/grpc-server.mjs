// What users would pick instead: @grpc/grpc-js, unary echo from echo.proto, the usual way
// (proto-loader). node baselines/grpc-server.mjs PORT
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const protoPath = join(dirname(fileURLToPath(import.meta.url)), 'echo.proto');
/** The Echo service of echo.proto (package bench), as proto-loader describes it. */
export const loadEcho = () => {
  const pkg = /** @type {grpc.GrpcObject} */ (grpc.loadPackageDefinition(protoLoader.loadSync(protoPath)).bench);
  return /** @type {grpc.ServiceClientConstructor} */ (pkg.Echo);
};

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const port = Number(process.argv[2] ?? 3034);
  const server = new grpc.Server();
  server.addService(loadEcho().service, { Call: (call, cb) => cb(null, { r: `${call.request.a}|${call.request.b}` }) });
  server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err) => {
    if (err) throw err;
    console.log(`grpc-js on 127.0.0.1:${port}`);
  });
  process.on('SIGINT', () => server.tryShutdown(() => process.exit(0)));
  // The bench sends SIGUSR2 before it reads RSS "after each round" (started with --expose-gc).
  process.on('SIGUSR2', () => globalThis.gc?.());
}
