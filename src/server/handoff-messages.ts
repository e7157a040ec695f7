// What the primary and a worker say to each other about handed-over connections (`serve --processes N`, the default
// way the workers get their connections). The primary accepts, sends the connection's descriptor and keeps its own
// copy until the worker says it has taken it: a worker that dies first has not read a byte, so the connection goes
// to another worker instead of hanging (node:cluster's own hand-off keeps such a connection open, unanswered).

/** Environment variable carrying the primary's listeners to its workers: `{ "<requested address>": port }`. */
export const HANDOFF_ENV = 'UWSGI_RPC_HANDOFF';

/** Primary → worker, with the connection's handle: one connection of the listener `key`. */
export interface ConnMessage {
  uwsgiRpcConn: { key: string; id: number };
}

/** Worker → primary: the worker took connection `id` (true; it reads it from now on) or cannot (false: closing). */
export interface TakenMessage {
  uwsgiRpcTaken: { id: number; taken: boolean };
}

/** Worker → primary: this worker takes connections of listener `key` from now on. */
export interface FeedMessage {
  uwsgiRpcFeed: { key: string };
}
