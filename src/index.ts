// Node entry (`uwsgi-rpc`).
export * from './codec/index.js';
