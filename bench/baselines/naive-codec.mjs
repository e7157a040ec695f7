// What a user would write by hand with Buffer: the baselines the codec is measured against.

const asBuffer = (u8) => (Buffer.isBuffer(u8) ? u8 : Buffer.from(u8.buffer, u8.byteOffset, u8.length));

/** Parses header + array into Buffer.subarray views. */
export function naiveDecodeRequest(packet) {
  const b = asBuffer(packet);
  const size = b.readUInt16LE(1);
  if (b[0] !== 173 || size !== b.length - 4) throw new Error('bad packet');
  const items = naiveItems(b.subarray(4));
  return { modifier1: b[0], modifier2: b[3], name: items[0], args: items.slice(1) };
}

/** A uwsgi array body into Buffer.subarray views (zero-length items skipped). */
export function naiveItems(body) {
  const b = asBuffer(body);
  const items = [];
  let pos = 0;
  while (pos < b.length) {
    const len = b.readUInt16LE(pos);
    pos += 2;
    if (len === 0) continue;
    if (pos + len > b.length) throw new Error('truncated');
    items.push(b.subarray(pos, pos + len));
    pos += len;
  }
  return items;
}

/** Frames of a chunk of pipelined packets, as Buffer.subarray views. */
export function naiveScan(chunk) {
  const b = asBuffer(chunk);
  const frames = [];
  let pos = 0;
  while (b.length - pos >= 4) {
    const size = b.readUInt16LE(pos + 1);
    if (pos + 4 + size > b.length) break;
    frames.push({ modifier1: b[pos], modifier2: b[pos + 3], body: b.subarray(pos + 4, pos + 4 + size) });
    pos += 4 + size;
  }
  return frames;
}

function lenPrefix(n) {
  const l = Buffer.alloc(2);
  l.writeUInt16LE(n);
  return l;
}

/** Header + array with Buffer.from and Buffer.concat. */
export function naiveEncodeRequest(name, args, modifier2 = 0) {
  const parts = [];
  for (const it of [name, ...args]) {
    const b = Buffer.from(it);
    parts.push(lenPrefix(b.length), b);
  }
  const body = Buffer.concat(parts);
  const head = Buffer.from([173, body.length & 0xff, body.length >> 8, modifier2]);
  return Buffer.concat([head, body]);
}

/** A whole answer, plain or 64-bit form, with Buffer.concat. */
export function naiveEncodeResponse(result) {
  const body = Buffer.from(result);
  if (body.length <= 65535) return Buffer.concat([Buffer.from([173, body.length & 0xff, body.length >> 8, 0]), body]);
  const k = Buffer.from('CONTENT_LENGTH');
  const v = Buffer.from(String(body.length));
  const dict = Buffer.concat([lenPrefix(k.length), k, lenPrefix(v.length), v]);
  return Buffer.concat([Buffer.from([173, dict.length & 0xff, dict.length >> 8, 5]), dict, body]);
}
