#!/usr/bin/env node
import { main } from '../dist/src/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => {
    if (typeof code === 'number') process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`uwsgi-rpc: ${err?.message ?? err}\n`);
    process.exitCode = 1;
  },
);
