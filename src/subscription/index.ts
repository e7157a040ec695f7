// `uwsgi-rpc/subscription`: uWSGI's subscription protocol, runtime-neutral: the datagrams a node
// sends to routers, and --subscribe-to / --subscribe2 values. (Sending them over UDP is the
// Node-only Subscriber, exported by the package root.)
export {
  SUBSCRIPTION_MODIFIER1,
  SUBSCRIBE,
  UNSUBSCRIBE,
  MAX_SUBSCRIPTION_PACKET,
  MAX_ADDRESS,
  encodeSubscription,
  decodeSubscription,
  type Announcement,
  type SignFunction,
  type SignOptions,
  type DecodedSubscription,
} from './packet.js';
export { parseSubscribeTo, parseSubscribe2, parseKeyFile, type SubscribeTarget } from './spec.js';
export { RpcError, type RpcErrorCode } from '../rpc-error.js';
