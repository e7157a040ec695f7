// The TypeScript kernel: the same scans, parses and encodings as assembly/, over plain Uint8Arrays, and the
// engine of everything the benchmark shows TS faster at (single packets, all encoding).
import { type Input, Slab, toBytes, utf8Length, writeUtf8 } from './bytes.js';
import { CODES } from './codes.js';
import { CONTENT_LENGTH, HEADER_SIZE, MAX_BODY, MAX_ITEMS, MAX_NAME, MODIFIER2, RPC_MODIFIER1 } from './constants.js';
import { fail } from './errors.js';
import type { Kernel } from './kernel.js';
import { HEAD, SCAN_DICT, SCAN_FULL, SCAN_NEED_MORE, TABLE_WORDS } from './kernel-spec.generated.js';

const {
  SHORT_HEADER,
  WRONG_MODIFIER1,
  SIZE_MISMATCH,
  TRUNCATED_LENGTH,
  TRUNCATED_ITEM,
  EMPTY_KEY,
  EMPTY_NAME,
  NAME_TOO_LONG,
  TOO_MANY_ARGS,
  BODY_TOO_LARGE,
  FRAME_TOO_LARGE,
  INVALID_MODIFIER,
} = CODES;

const MAX_PACKET = HEADER_SIZE + MAX_BODY;
const CL_KEY = Array.from(CONTENT_LENGTH, (c) => c.charCodeAt(0));

/** The pure-TypeScript engine: same rules, same order, same table as assembly/index.ts. */
export class TsKernel implements Kernel {
  private readonly t = new Uint32Array(TABLE_WORDS);
  private readonly slab = new Slab();

  table(): Uint32Array {
    return this.t;
  }

  decodeHeader(b: Uint8Array): number {
    if (b.length < 4) return SHORT_HEADER;
    const t = this.t;
    t[1] = b[0];
    t[2] = b[1] | (b[2] << 8);
    t[3] = b[3];
    return 4;
  }

  private walkArray(b: Uint8Array, start: number, end: number): number {
    const t = this.t;
    const cap = (TABLE_WORDS - HEAD) >> 1;
    let pos = start;
    let n = 0;
    while (pos < end) {
      if (end - pos < 2) return TRUNCATED_LENGTH;
      const len = b[pos] | (b[pos + 1] << 8);
      pos += 2;
      if (len === 0) continue;
      if (len > end - pos) return TRUNCATED_ITEM;
      if (n < cap) {
        t[HEAD + 2 * n] = pos;
        t[HEAD + 2 * n + 1] = len;
      }
      n++;
      pos += len;
    }
    t[0] = n;
    return n;
  }

  decodeArray(b: Uint8Array): number {
    if (b.length > MAX_BODY) return BODY_TOO_LARGE;
    return this.walkArray(b, 0, b.length);
  }

  decodeVars(b: Uint8Array): number {
    const len = b.length;
    if (len > MAX_BODY) return BODY_TOO_LARGE;
    const t = this.t;
    const cap = (TABLE_WORDS - HEAD) >> 2;
    let pos = 0;
    let n = 0;
    while (pos < len) {
      if (len - pos < 2) return TRUNCATED_LENGTH;
      const kl = b[pos] | (b[pos + 1] << 8);
      pos += 2;
      if (kl === 0) return EMPTY_KEY;
      if (kl > len - pos) return TRUNCATED_ITEM;
      const ko = pos;
      pos += kl;
      if (len - pos < 2) return TRUNCATED_LENGTH;
      const vl = b[pos] | (b[pos + 1] << 8);
      pos += 2;
      if (vl > len - pos) return TRUNCATED_ITEM;
      if (n < cap) {
        const e = HEAD + 4 * n;
        t[e] = ko;
        t[e + 1] = kl;
        t[e + 2] = pos;
        t[e + 3] = vl;
      }
      n++;
      pos += vl;
    }
    t[0] = n;
    return n;
  }

  decodeRequest(b: Uint8Array): number {
    const len = b.length;
    if (len < 4) return SHORT_HEADER;
    const m1 = b[0];
    const size = b[1] | (b[2] << 8);
    const m2 = b[3];
    if (m1 !== RPC_MODIFIER1) return WRONG_MODIFIER1;
    if (size !== len - 4) return SIZE_MISMATCH;
    const n = this.walkArray(b, 4, len);
    if (n < 0) return n;
    if (n === 0) return EMPTY_NAME;
    const t = this.t;
    if (t[HEAD + 1] > MAX_NAME) return NAME_TOO_LONG;
    if (n > MAX_ITEMS) return TOO_MANY_ARGS;
    t[1] = m1;
    t[2] = m2;
    return n;
  }

  scanFrames(b: Uint8Array, start: number, end: number, maxBody: number, stopAtDict: boolean): number {
    const t = this.t;
    const cap = (TABLE_WORDS - HEAD) >> 2;
    const len = end - start;
    let pos = 0;
    let n = 0;
    let status = SCAN_NEED_MORE;
    let code = 0;
    while (len - pos >= 4) {
      if (n === cap) {
        status = SCAN_FULL;
        break;
      }
      const p = start + pos;
      const m1 = b[p];
      const size = b[p + 1] | (b[p + 2] << 8);
      const m2 = b[p + 3];
      if (stopAtDict && m2 === MODIFIER2.DICT) {
        status = SCAN_DICT;
        break;
      }
      if (size > maxBody) {
        code = FRAME_TOO_LARGE;
        break;
      }
      if (size > len - pos - 4) break;
      const e = HEAD + 4 * n;
      t[e] = m1;
      t[e + 1] = m2;
      t[e + 2] = pos + 4;
      t[e + 3] = size;
      n++;
      pos += 4 + size;
    }
    t[0] = n;
    t[1] = pos;
    t[2] = status;
    return code !== 0 ? code : n;
  }

  scanRequests(b: Uint8Array, start: number, end: number, maxBody: number): number {
    const t = this.t;
    const capWords = TABLE_WORDS - HEAD;
    const len = end - start;
    let pos = 0;
    let w = 0;
    let n = 0;
    let status = SCAN_NEED_MORE;
    let code = 0;
    while (len - pos >= 4) {
      const p0 = start + pos;
      const size = b[p0 + 1] | (b[p0 + 2] << 8);
      if (size > maxBody) {
        code = FRAME_TOO_LARGE;
        break;
      }
      if (size > len - pos - 4) break;
      if (w + 5 + 2 * Math.floor(size / 3) > capWords) {
        status = SCAN_FULL;
        break;
      }
      const e = HEAD + w;
      t[e] = b[p0];
      t[e + 1] = b[p0 + 3];
      t[e + 2] = pos + 4;
      t[e + 3] = size;
      const stop = p0 + 4 + size;
      let p = p0 + 4;
      let k = 0;
      let bad = 0;
      const items = e + 5;
      while (p < stop) {
        if (stop - p < 2) {
          bad = TRUNCATED_LENGTH;
          break;
        }
        const l = b[p] | (b[p + 1] << 8);
        p += 2;
        if (l === 0) continue;
        if (l > stop - p) {
          bad = TRUNCATED_ITEM;
          break;
        }
        t[items + 2 * k] = p - start;
        t[items + 2 * k + 1] = l;
        k++;
        p += l;
      }
      if (bad !== 0) {
        t[e + 4] = bad >>> 0;
        w += 5;
      } else {
        t[e + 4] = k;
        w += 5 + 2 * k;
      }
      n++;
      pos += 4 + size;
    }
    t[0] = n;
    t[1] = pos;
    t[2] = status;
    t[3] = w;
    return code !== 0 ? code : n;
  }

  encodeHeader(m1: number, size: number, m2: number): Uint8Array {
    if (m1 > 255 || m2 > 255) fail(INVALID_MODIFIER);
    if (size > MAX_BODY) fail(BODY_TOO_LARGE);
    const out = this.slab.alloc(4);
    out[0] = m1;
    out[1] = size & 0xff;
    out[2] = size >>> 8;
    out[3] = m2;
    return out;
  }

  encodeRequest(name: Input, args: readonly Input[], m2: number): Uint8Array {
    return this.writeItems(name, args, RPC_MODIFIER1, m2);
  }

  encodeArray(items: readonly Input[]): Uint8Array {
    return this.writeItems(undefined, items, -1, 0);
  }

  /**
   * Items (`name` first, when given: then the RPC limits apply) written straight into the
   * slab; `m1` >= 0 prefixes the header. Errors come in the WASM kernel's order.
   */
  private writeItems(name: Input | undefined, items: readonly Input[], m1: number, m2: number): Uint8Array {
    const request = name !== undefined;
    const header = m1 >= 0;
    const n = items.length + (request ? 1 : 0);
    if (header && (m1 > 255 || m2 > 255)) fail(INVALID_MODIFIER);
    // Upper bound of the packet: strings take at most 3 bytes per UTF-16 unit.
    let bound = header ? 4 : 0;
    if (request) bound += 2 + (typeof name === 'string' ? 3 * name.length : name.length);
    for (let i = 0; i < items.length && bound <= MAX_PACKET; i++) {
      const it = items[i];
      bound += 2 + (typeof it === 'string' ? 3 * it.length : it.length);
    }
    if (bound > MAX_PACKET) bound = MAX_PACKET;
    const slab = this.slab;
    const at = slab.reserve(bound);
    const buf = slab.target;
    const limit = at + bound;
    const body = at + (header ? 4 : 0);
    let pos = body;
    for (let i = request ? -1 : 0; i < items.length; i++) {
      const it = i < 0 ? (name as Input) : items[i];
      let len: number;
      if (pos + 2 > limit) {
        len = -1;
      } else if (typeof it === 'string') {
        len = writeUtf8(it, buf, pos + 2, limit);
      } else if (pos + 2 + it.length <= limit) {
        buf.set(it, pos + 2);
        len = it.length;
      } else {
        len = -1;
      }
      if (i < 0) {
        if (len === 0) fail(EMPTY_NAME);
        if (len > MAX_NAME || len < 0) fail(NAME_TOO_LONG);
        if (n > MAX_ITEMS) fail(TOO_MANY_ARGS);
      }
      if (len < 0 || len > MAX_BODY) fail(BODY_TOO_LARGE);
      buf[pos] = len & 0xff;
      buf[pos + 1] = len >>> 8;
      pos += 2 + len;
    }
    const size = pos - body;
    if (size > MAX_BODY) fail(BODY_TOO_LARGE);
    if (header) {
      buf[at] = m1;
      buf[at + 1] = size & 0xff;
      buf[at + 2] = size >>> 8;
      buf[at + 3] = m2;
    }
    return slab.commit(at, pos - at);
  }

  encodeVars(pairs: readonly (readonly [Input, Input])[]): Uint8Array {
    const n = pairs.length;
    // Sizes first, then keys (the WASM kernel's order: it cannot see every key).
    let size = 0;
    for (let i = 0; i < n; i++) {
      size += 4 + byteLength(pairs[i][0]) + byteLength(pairs[i][1]);
      if (size > MAX_BODY) fail(BODY_TOO_LARGE);
    }
    for (let i = 0; i < n; i++) if (byteLength(pairs[i][0]) === 0) fail(EMPTY_KEY);
    const slab = this.slab;
    const total = size;
    const at = slab.reserve(total);
    const buf = slab.target;
    let pos = at;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < 2; j++) {
        const it = pairs[i][j];
        let len: number;
        if (typeof it === 'string') len = writeUtf8(it, buf, pos + 2, at + total);
        else {
          buf.set(it, pos + 2);
          len = it.length;
        }
        buf[pos] = len & 0xff;
        buf[pos + 1] = len >>> 8;
        pos += 2 + len;
      }
    }
    return slab.commit(at, total);
  }

  encodeResponse(result: Input, m2: number): Uint8Array {
    if (m2 === MODIFIER2.RAW) return toBytes(result);
    // The plain form straight into the slab when it surely fits; anything else in two parts.
    if (
      m2 === MODIFIER2.UWSGI &&
      (typeof result === 'string' ? result.length <= MAX_PLAIN_STRING : result.length <= MAX_BODY)
    ) {
      const slab = this.slab;
      const max = 4 + (typeof result === 'string' ? 3 * result.length : result.length);
      const at = slab.reserve(max);
      const buf = slab.target;
      let len: number;
      if (typeof result === 'string') len = writeUtf8(result, buf, at + 4, at + max);
      else {
        buf.set(result, at + 4);
        len = result.length;
      }
      buf[at] = RPC_MODIFIER1;
      buf[at + 1] = len & 0xff;
      buf[at + 2] = len >>> 8;
      buf[at + 3] = 0;
      return slab.commit(at, 4 + len);
    }
    const body = toBytes(result);
    const head = this.encodeResponseHeader(body.length, m2);
    const out = this.slab.alloc(head.length + body.length);
    out.set(head);
    out.set(body, head.length);
    return out;
  }

  encodeResponseHeader(size: number, m2: number): Uint8Array {
    if (m2 === MODIFIER2.RAW) return this.slab.alloc(0);
    if (m2 !== MODIFIER2.UWSGI && m2 !== MODIFIER2.DICT) fail(INVALID_MODIFIER);
    if (m2 === MODIFIER2.UWSGI && size <= MAX_BODY) {
      const out = this.slab.alloc(4);
      out[0] = RPC_MODIFIER1;
      out[1] = size & 0xff;
      out[2] = size >>> 8;
      out[3] = 0;
      return out;
    }
    const digits = String(size);
    const dictLen = 4 + CL_KEY.length + digits.length;
    const out = this.slab.alloc(4 + dictLen);
    out[0] = RPC_MODIFIER1;
    out[1] = dictLen & 0xff;
    out[2] = dictLen >>> 8;
    out[3] = MODIFIER2.DICT;
    out[4] = CL_KEY.length;
    out[5] = 0;
    out.set(CL_KEY, 6);
    let p = 6 + CL_KEY.length;
    out[p++] = digits.length;
    out[p++] = 0;
    for (let i = 0; i < digits.length; i++) out[p++] = digits.charCodeAt(i);
    return out;
  }
}

const MAX_PLAIN_STRING = Math.floor(MAX_BODY / 3);

function byteLength(v: Input): number {
  return typeof v === 'string' ? utf8Length(v) : v.length;
}
