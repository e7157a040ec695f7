// uWSGI's subscription protocol (no node:*): the datagrams nodes send to routers, and --subscribe-to values.
export {
  SUBSCRIPTION_MODIFIER1, SUBSCRIBE, UNSUBSCRIBE, MAX_SUBSCRIPTION_PACKET, MAX_ADDRESS,
  encodeSubscription, decodeSubscription,
  type Announcement, type SignFunction, type SignOptions, type DecodedSubscription,
} from './packet.js';
export { parseSubscribeTo, parseSubscribe2, parseKeyFile, type SubscribeTarget } from './spec.js';
