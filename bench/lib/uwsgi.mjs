// The uWSGI servers the suites compare against: the same options everywhere, so that their
// figures compare (master, no orphans, no request log, the largest buffer, a deep listen queue).
import { join } from 'node:path';
import { benchDir } from './procs.mjs';

const servers = join(benchDir, 'servers');

/** uWSGI with `processes` workers on 127.0.0.1:`port`; `extra`: more sockets or options. */
const uwsgiArgs = (port, processes, extra = []) => [
  '--master',
  '--no-orphans',
  '--processes',
  String(processes),
  '--socket',
  `127.0.0.1:${port}`,
  ...extra,
  '--disable-logging',
  '--buffer-size',
  '65535',
  '--listen',
  '1024',
];

/** uWSGI's python3 plugin serving bench/servers/echo.py (echo and big). */
export const uwsgiPython = (port, processes, extra = []) => [
  '--plugin',
  'python3,rpc',
  ...uwsgiArgs(port, processes, extra),
  '--python-path',
  servers,
  '--import',
  'echo',
];

/** uWSGI's lua plugin serving bench/servers/echo.lua. */
export const uwsgiLua = (port, processes) => [
  '--plugin',
  'lua,rpc',
  ...uwsgiArgs(port, processes),
  '--lua',
  join(servers, 'echo.lua'),
];
