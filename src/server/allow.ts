// `allow` (--allow NET/BITS): the client networks a TCP listener accepts.
import { BlockList, isIP } from 'node:net';
import { RpcError } from '../rpc-error.js';

/** The client networks a TCP listener accepts. */
export interface AllowList {
  allows(address: string | undefined): boolean;
}

/** `NET/BITS` or a single address, IPv4 or IPv6; an IPv4-mapped IPv6 peer (::ffff:a.b.c.d) matches its IPv4 form. */
export function allowList(nets: readonly string[]): AllowList {
  const list = new BlockList();
  for (const spec of nets) {
    const [net, bits, extra] = spec.trim().split('/');
    const family = isIP(net);
    const max = family === 6 ? 128 : 32;
    const prefix = bits === undefined ? max : Number(bits);
    if (
      family === 0 ||
      extra !== undefined ||
      !(Number.isInteger(prefix) && prefix >= 0 && prefix <= max) ||
      (bits !== undefined && !/^\d+$/.test(bits))
    ) {
      throw new RpcError('INVALID', `allow ${spec}: use NET/BITS or an address (10.0.0.0/8, ::1)`);
    }
    list.addSubnet(net, prefix, family === 6 ? 'ipv6' : 'ipv4');
  }
  return {
    allows(address) {
      if (address === undefined) return false;
      const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
      if (mapped) return list.check(mapped[1], 'ipv4') || list.check(address, 'ipv6');
      return list.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
    },
  };
}
