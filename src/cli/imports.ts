// `serve --import FILE.mjs`: loads the modules that register functions.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { RpcServer } from '../server/server.js';

/**
 * Loads each --import module (a path, relative to the working directory). A module
 * registers functions with `import { register } from 'uwsgi-rpc'` as it loads, and/or
 * through a default export `(rpc) => ...`, called (and awaited) with the server.
 */
export async function importModules(files: readonly string[], server: RpcServer): Promise<void> {
  for (const file of files) {
    const path = resolve(file);
    if (!existsSync(path)) throw new Error(`--import ${file}: no such file`);
    let mod: { default?: unknown };
    try {
      mod = (await import(pathToFileURL(path).href)) as { default?: unknown };
    } catch (err) {
      throw new Error(`--import ${file}: ${(err as Error)?.message ?? String(err)}`, { cause: err });
    }
    const init = mod.default;
    if (init === undefined) continue;
    if (typeof init !== 'function')
      throw new Error(`--import ${file}: the default export is not a function (rpc) => { rpc.register(...) }`);
    try {
      await init(server);
    } catch (err) {
      throw new Error(`--import ${file}: its default export failed: ${(err as Error)?.message ?? String(err)}`, {
        cause: err,
      });
    }
  }
}
