// Node entry (`uwsgi-rpc`).
export * from './codec/index.js';
export * from './server/index.js';
export * from './client/index.js';
