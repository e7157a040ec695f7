// PATH_INFO from a request target, percent-decoded as uWSGI decodes it.
import { latin1 } from '../codec/bytes.js';

enum S {
  Plain,
  Percent1,
  Percent2,
  Slash,
  Dot,
  DotDot,
}

/**
 * PATH_INFO from the raw request target up to `?`, exactly as uWSGI's HTTP parser builds it
 * (http_url_decode4 in core/utils.c), so routes see the same subject on both servers:
 * - `%XX` decoded (a bad hex digit gives byte 0; `%%` gives `%`; a cut-off `%X` at the end
 *   is dropped); with `keepEncodedSlash`, `%2F` stays encoded;
 * - runs of `/` collapse to one, `/./` segments vanish and `/../` removes the segment before;
 *   a trailing `/.` or `/` stays as `/`;
 * - everything from `#` on is ignored.
 * Input and output are binary strings (one char per byte).
 */
export function decodePathInfo(target: string, keepEncodedSlash = false): string {
  const out: number[] = [];
  let state = S.Plain;
  let hi = 0;
  // A target without a leading slash (e.g. `*`) starts as if after one, but does not get it.
  const relative = target.length > 0 && target.charCodeAt(0) !== 0x2f;
  if (relative) state = S.Slash;

  let i = 0;
  for (; i < target.length; i++) {
    const c = target.charCodeAt(i);
    if (c === 0x23 /* # */) break;
    switch (state) {
      case S.Plain:
        if (c === 0x25) state = S.Percent1;
        else if (c === 0x2f) state = S.Slash;
        else out.push(c);
        break;
      case S.Percent1:
        if (c === 0x25) {
          out.push(0x25);
          state = S.Plain;
        } else {
          hi = c;
          state = S.Percent2;
        }
        break;
      case S.Percent2:
        if (keepEncodedSlash && hi === 0x32 && (c === 0x46 || c === 0x66)) out.push(0x25, hi, c);
        else out.push(hexByte(hi, c));
        state = S.Plain;
        break;
      case S.Slash:
        if (c === 0x2e) {
          state = S.Dot;
          break;
        }
        if (i > 0 || !relative) out.push(0x2f);
        state = afterSegmentStart(c, out);
        break;
      case S.Dot:
        if (c === 0x2e) {
          state = S.DotDot;
          break;
        }
        if (c === 0x2f) {
          state = S.Slash;
          break;
        }
        if (i > 1) out.push(0x2f);
        out.push(0x2e);
        state = afterSegmentStart(c, out);
        break;
      case S.DotDot:
        if (c === 0x2f) {
          // `/../`: drop the last segment together with its slash.
          let n = out.length;
          while (n > 0) {
            n--;
            if (out[n] === 0x2f) break;
          }
          out.length = n;
          state = S.Slash;
          break;
        }
        if (i > 2) out.push(0x2f);
        out.push(0x2e, 0x2e);
        state = afterSegmentStart(c, out);
        break;
    }
  }

  if (state === S.Slash || state === S.Dot) {
    out.push(0x2f);
  } else if (state === S.DotDot) {
    // A trailing `/..`: drop the last segment, keep the slash before it.
    let n = out.length;
    while (n > 0 && out[n - 1] !== 0x2f) n--;
    out.length = n;
  }
  return latin1(Uint8Array.from(out));
}

/** The first char of a segment after `/` (or `.`/`..` that turned out not to be a dot segment). */
function afterSegmentStart(c: number, out: number[]): S {
  if (c === 0x25) return S.Percent1;
  if (c === 0x2f) return S.Slash;
  out.push(c);
  return S.Plain;
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/** Two hex digits as a byte; uWSGI gives 0 when either is not a hex digit. */
function hexByte(hi: number, lo: number): number {
  const h = hexDigit(hi);
  const l = hexDigit(lo);
  return h < 0 || l < 0 ? 0 : (h << 4) | l;
}
