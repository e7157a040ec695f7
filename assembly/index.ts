// uwsgi packet kernels. Everything lives in three static regions at the bottom of memory:
// IN (bytes the host copies in) at address 0, TABLE (u32 words: a head, then entries) and
// OUT (encoded bytes the host copies out); the static data comes after them (asconfig.json's
// memoryBase, which scripts/build.mjs checks against the regions' end). Their sizes, the
// table's shapes, the scan statuses and the error codes come from kernel-spec.json
// (kernel-spec.generated.ts).
// Memory is fixed (initialMemory == maximumMemory) and nothing is allocated, so the
// host's views never detach and no managed object ever crosses the boundary.
//
// Every export returns a non-negative count/length or one of the negative codes; the
// TypeScript kernel (src/codec/ts-kernel.ts) follows the same rules in the same order,
// which is what the equivalence tests hold both to.

import {
  E_SHORT_HEADER, E_WRONG_MODIFIER1, E_SIZE_MISMATCH, E_TRUNCATED_LENGTH,
  E_TRUNCATED_ITEM, E_EMPTY_KEY, E_EMPTY_NAME, E_NAME_TOO_LONG, E_TOO_MANY_ARGS,
  E_BODY_TOO_LARGE, E_FRAME_TOO_LARGE, E_INVALID_MODIFIER,
  IN_CAP, TABLE_WORDS, HEAD,
  RPC_MODIFIER1, MAX_BODY, MAX_NAME, MAX_ITEMS, DICT_MODIFIER2,
  SCAN_NEED_MORE, SCAN_DICT, SCAN_FULL,
} from "./kernel-spec.generated";

// IN at 0: a byte's address is its offset, so the scans' load -> length -> next item chain,
// which bounds their speed, has no add in it (scanRequests ~9% faster than IN after the data).
@inline function inp(): usize { return 0; }
@inline function tbl(): usize { return IN_CAP; }
@inline function out(): usize { return IN_CAP + (TABLE_WORDS << 2); }
@inline function entry(i: u32): usize { return tbl() + ((HEAD + i) << 2); }
@inline function setWord(i: u32, v: u32): void { store<u32>(tbl() + (i << 2), v); }
@inline function word(i: u32): u32 { return load<u32>(entry(i)); }

export function inPtr(): usize { return inp(); }
export function inCap(): u32 { return IN_CAP; }
export function tablePtr(): usize { return tbl(); }
export function tableWords(): u32 { return TABLE_WORDS; }
export function outPtr(): usize { return out(); }

// ---- decoding ------------------------------------------------------------------

// Items of `u16 len + bytes` in IN[pos, end). Zero-length items are skipped (nginx pads
// with them); a trailing empty item is accepted, unlike uWSGI 2.0.21.
function walkArray(start: u32, end: u32): i32 {
  const src = inp();
  const cap = (TABLE_WORDS - HEAD) >> 1;
  let pos = start;
  let n: u32 = 0;
  while (pos < end) {
    if (end - pos < 2) return E_TRUNCATED_LENGTH;
    const len = <u32>load<u16>(src + pos);
    pos += 2;
    if (len == 0) continue;
    if (len > end - pos) return E_TRUNCATED_ITEM;
    if (n < cap) {
      store<u32>(entry(n << 1), pos);
      store<u32>(entry((n << 1) + 1), len);
    }
    n++;
    pos += len;
  }
  setWord(0, n);
  return <i32>n;
}

export function decodeArray(len: u32): i32 {
  if (len > MAX_BODY) return E_BODY_TOO_LARGE;
  return walkArray(0, len);
}

export function decodeVars(len: u32): i32 {
  if (len > MAX_BODY) return E_BODY_TOO_LARGE;
  const src = inp();
  const cap = (TABLE_WORDS - HEAD) >> 2;
  let pos: u32 = 0;
  let n: u32 = 0;
  while (pos < len) {
    if (len - pos < 2) return E_TRUNCATED_LENGTH;
    const kl = <u32>load<u16>(src + pos);
    pos += 2;
    if (kl == 0) return E_EMPTY_KEY;
    if (kl > len - pos) return E_TRUNCATED_ITEM;
    const ko = pos;
    pos += kl;
    if (len - pos < 2) return E_TRUNCATED_LENGTH;
    const vl = <u32>load<u16>(src + pos);
    pos += 2;
    if (vl > len - pos) return E_TRUNCATED_ITEM;
    if (n < cap) {
      const e = n << 2;
      store<u32>(entry(e), ko);
      store<u32>(entry(e + 1), kl);
      store<u32>(entry(e + 2), pos);
      store<u32>(entry(e + 3), vl);
    }
    n++;
    pos += vl;
  }
  setWord(0, n);
  return <i32>n;
}

export function decodeHeader(len: u32): i32 {
  if (len < 4) return E_SHORT_HEADER;
  const src = inp();
  setWord(1, <u32>load<u8>(src));
  setWord(2, <u32>load<u16>(src + 1));
  setWord(3, <u32>load<u8>(src + 3));
  return 4;
}

// A whole packet: header + array. Head words: [count, modifier1, modifier2, -].
export function decodeRequest(len: u32): i32 {
  if (len < 4) return E_SHORT_HEADER;
  const src = inp();
  const m1 = <u32>load<u8>(src);
  const size = <u32>load<u16>(src + 1);
  const m2 = <u32>load<u8>(src + 3);
  if (m1 != RPC_MODIFIER1) return E_WRONG_MODIFIER1;
  if (size != len - 4) return E_SIZE_MISMATCH;
  const n = walkArray(4, len);
  if (n < 0) return n;
  if (n == 0) return E_EMPTY_NAME;
  if (word(1) > MAX_NAME) return E_NAME_TOO_LONG;
  if (<u32>n > MAX_ITEMS) return E_TOO_MANY_ARGS;
  setWord(1, m1);
  setWord(2, m2);
  return n;
}

// Complete frames in IN[0, len): entries (modifier1, modifier2, bodyOffset, bodyLength).
// Head words: [count, consumed, status, -], written before any error is returned too,
// so the host can hand out the frames that preceded a fault.
export function scanFrames(len: u32, maxBody: u32, stopAtDict: u32): i32 {
  const src = inp();
  const cap = (TABLE_WORDS - HEAD) >> 2;
  let pos: u32 = 0;
  let n: u32 = 0;
  let status = SCAN_NEED_MORE;
  let code: i32 = 0;
  while (len - pos >= 4) {
    if (n == cap) { status = SCAN_FULL; break; }
    const m1 = <u32>load<u8>(src + pos);
    const size = <u32>load<u16>(src + pos + 1);
    const m2 = <u32>load<u8>(src + pos + 3);
    if (stopAtDict != 0 && m2 == DICT_MODIFIER2) { status = SCAN_DICT; break; }
    if (size > maxBody) { code = E_FRAME_TOO_LARGE; break; }
    if (size > len - pos - 4) break;
    const e = n << 2;
    store<u32>(entry(e), m1);
    store<u32>(entry(e + 1), m2);
    store<u32>(entry(e + 2), pos + 4);
    store<u32>(entry(e + 3), size);
    n++;
    pos += 4 + size;
  }
  setWord(0, n);
  setWord(1, pos);
  setWord(2, status);
  return code != 0 ? code : <i32>n;
}

// Frames with their arrays parsed, in one pass: each frame is 4 words (modifier1,
// modifier2, bodyOffset, bodyLength), then a word holding its item count (or a negative
// code if its body is not a valid array), then that many (offset, length) pairs.
// Stops (status FULL) before a frame whose entries would not fit the table.
export function scanRequests(len: u32, maxBody: u32): i32 {
  // Four copies of one loop, each without the checks that cannot fail for it: a datasize is
  // a u16, so a limit of MAX_BODY passes every frame; and a frame needs at most 5 + 2 * (size
  // / 3) words for its 4 + size bytes, 1.25 words a byte, so a window of up to ROOMY bytes
  // cannot fill the table. ~10% of the loop's time for 64 small requests.
  if (maxBody >= MAX_BODY) {
    return len <= ROOMY ? walkRequests(len, maxBody, false, false) : walkRequests(len, maxBody, true, false);
  }
  return len <= ROOMY ? walkRequests(len, maxBody, false, true) : walkRequests(len, maxBody, true, true);
}

const ROOMY: u32 = ((TABLE_WORDS - HEAD) << 2) / 5;

@inline function walkRequests(len: u32, maxBody: u32, checkRoom: bool, checkMax: bool): i32 {
  const src = inp();
  const t0 = entry(0);
  const tEnd = tbl() + (TABLE_WORDS << 2);
  let pos: u32 = 0;
  let tp = t0;
  let n: u32 = 0;
  let status = SCAN_NEED_MORE;
  let code: i32 = 0;
  // Whether a header is there at all is not asked first: a frame needs 4 + size bytes, which
  // a tail of under 4 never holds whatever the size read from past it (still inside memory).
  while (true) {
    const h = src + pos;
    const size = <u32>load<u16>(h, 1);
    if (checkMax && size > maxBody && len - pos >= 4) { code = E_FRAME_TOO_LARGE; break; }
    if (pos + 4 + size > len) break;
    // An item takes at least 3 bytes: size / 3 pairs is the most this frame can need.
    if (checkRoom && tp + 20 + (<usize>(size / 3) << 3) > tEnd) { status = SCAN_FULL; break; }
    store<u32>(tp, <u32>load<u8>(h));
    store<u32>(tp, <u32>load<u8>(h, 3), 4);
    store<u32>(tp, pos + 4, 8);
    store<u32>(tp, size, 12);
    const end = pos + 4 + size;
    let p = pos + 4;
    let ip = tp + 20;
    let bad: i32 = 0;
    // One bounds check an item, on where the next one would start; which fault it was is
    // sorted out after. With one byte left the length's high byte is read from past the
    // frame (still inside memory), and the item overruns whatever that byte is.
    while (p < end) {
      const l = <u32>load<u16>(src + p);
      const next = p + 2 + l;
      if (next > end) {
        bad = end - p < 2 ? E_TRUNCATED_LENGTH : E_TRUNCATED_ITEM;
        break;
      }
      if (l != 0) {
        store<u32>(ip, p + 2);
        store<u32>(ip, l, 4);
        ip += 8;
      }
      p = next;
    }
    // The count first, the fault over it if there was one: the usual way out of the items
    // loop then falls straight through instead of meeting the fault paths at one branch.
    store<u32>(tp, <u32>((ip - tp - 20) >> 3), 16);
    if (bad != 0) {
      store<i32>(tp, bad, 16);
      ip = tp + 20;
    }
    tp = ip;
    n++;
    pos = end;
  }
  setWord(0, n);
  setWord(1, pos);
  setWord(2, status);
  setWord(3, <u32>((tp - t0) >> 2));
  return code != 0 ? code : <i32>n;
}

// ---- encoding ------------------------------------------------------------------

@inline function putHeader(dst: usize, m1: u32, size: u32, m2: u32): void {
  store<u8>(dst, <u8>m1);
  store<u16>(dst + 1, <u16>size);
  store<u8>(dst + 3, <u8>m2);
}

export function encodeHeader(m1: u32, size: u32, m2: u32): i32 {
  if (m1 > 255 || m2 > 255) return E_INVALID_MODIFIER;
  if (size > MAX_BODY) return E_BODY_TOO_LARGE;
  putHeader(out(), m1, size, m2);
  return 4;
}

// n items: their lengths in table entries, their bytes back to back in IN. Only the first
// (TABLE_WORDS - HEAD) lengths fit; more items than that cannot fit a body anyway.
// request != 0 applies the RPC rules (name 1..255 bytes, at most 254 args).
// withHeader != 0 prefixes the (m1, size, m2) header.
export function encodeArray(n: u32, request: u32, withHeader: u32, m1: u32, m2: u32): i32 {
  const cap = TABLE_WORDS - HEAD;
  if (withHeader != 0 && (m1 > 255 || m2 > 255)) return E_INVALID_MODIFIER;
  if (request != 0) {
    if (n == 0 || word(0) == 0) return E_EMPTY_NAME;
    if (word(0) > MAX_NAME) return E_NAME_TOO_LONG;
    if (n > MAX_ITEMS) return E_TOO_MANY_ARGS;
  }
  if (n > cap) return E_BODY_TOO_LARGE;
  let total: u64 = 0;
  for (let i: u32 = 0; i < n; i++) {
    total += 2 + <u64>word(i);
    if (total > <u64>MAX_BODY) return E_BODY_TOO_LARGE;
  }
  const dst = out();
  let o: usize = withHeader != 0 ? 4 : 0;
  if (withHeader != 0) putHeader(dst, m1, <u32>total, m2);
  let s: usize = inp();
  for (let i: u32 = 0; i < n; i++) {
    const len = word(i);
    store<u16>(dst + o, <u16>len);
    memory.copy(dst + o + 2, s, len);
    o += 2 + len;
    s += len;
  }
  return <i32>o;
}

// n pairs: lengths (key, value) in table entries, bytes key,value,key,value... in IN.
// The size is checked before the keys, so that a pair beyond the table's reach can
// never change which error is reported.
export function encodeVars(n: u32, withHeader: u32, m1: u32, m2: u32): i32 {
  const cap = (TABLE_WORDS - HEAD) >> 1;
  if (withHeader != 0 && (m1 > 255 || m2 > 255)) return E_INVALID_MODIFIER;
  if (n > cap) return E_BODY_TOO_LARGE;
  let total: u64 = 0;
  for (let i: u32 = 0; i < n; i++) {
    total += 4 + <u64>word(i << 1) + <u64>word((i << 1) + 1);
    if (total > <u64>MAX_BODY) return E_BODY_TOO_LARGE;
  }
  for (let i: u32 = 0; i < n; i++) {
    if (word(i << 1) == 0) return E_EMPTY_KEY;
  }
  const dst = out();
  let o: usize = withHeader != 0 ? 4 : 0;
  if (withHeader != 0) putHeader(dst, m1, <u32>total, m2);
  let s: usize = inp();
  for (let i: u32 = 0; i < (n << 1); i++) {
    const len = word(i);
    store<u16>(dst + o, <u16>len);
    memory.copy(dst + o + 2, s, len);
    o += 2 + len;
    s += len;
  }
  return <i32>o;
}

const CL_KEY = "CONTENT_LENGTH";

// The header (and, for the 64-bit form, the CONTENT_LENGTH dict) that precedes a result
// of `size` bytes. modifier2 0: plain up to 65535 bytes, 64-bit form above; 1: raw (no
// header at all); 5: the 64-bit form whatever the size.
export function encodeResponseHeader(size: f64, m2: u32): i32 {
  if (m2 == 1) return 0;
  if (m2 != 0 && m2 != DICT_MODIFIER2) return E_INVALID_MODIFIER;
  const dst = out();
  const len = <u64>size;
  if (m2 == 0 && len <= <u64>MAX_BODY) {
    putHeader(dst, RPC_MODIFIER1, <u32>len, 0);
    return 4;
  }
  let digits: u32 = 1;
  for (let v = len; v >= 10; v /= 10) digits++;
  const keyLen: u32 = 14;
  store<u16>(dst + 4, <u16>keyLen);
  for (let i: u32 = 0; i < keyLen; i++) {
    store<u8>(dst + 6 + i, <u8>CL_KEY.charCodeAt(i));
  }
  store<u16>(dst + 6 + keyLen, <u16>digits);
  const d0 = dst + 8 + keyLen;
  let v = len;
  for (let i = <i32>digits - 1; i >= 0; i--) {
    store<u8>(d0 + i, <u8>(48 + <u32>(v % 10)));
    v /= 10;
  }
  const dictLen = 4 + keyLen + digits;
  putHeader(dst, RPC_MODIFIER1, dictLen, DICT_MODIFIER2);
  return <i32>(4 + dictLen);
}
