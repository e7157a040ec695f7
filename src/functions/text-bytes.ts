// TextBytes: what an RPC function receives as each arg (bytes with a UTF-8 string view).
import { utf8 } from '../codec/bytes.js';

/**
 * Bytes with an easy string view: `${arg}`, `arg.text` and `String(arg)` give the UTF-8
 * text; it is still a Uint8Array for binary use. RPC functions receive their args as these.
 */
export class TextBytes extends Uint8Array {
  get text(): string {
    return utf8(this);
  }

  override toString(): string {
    return utf8(this);
  }
}
