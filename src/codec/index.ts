// `uwsgi-rpc/codec`: the uwsgi protocol codec and stream decoder alone. Runtime-neutral (no
// node:* in its import graph), so it runs unchanged in browsers, Deno, Bun and edge runtimes.
export { createCodec, createCodecSync, type CodecOptions, type EngineChoice } from './create.js';
export { Codec, type DecodedRequest, type DecodedResponse, type Engine, type Header, type ViewClass } from './codec.js';
export { FrameDecoder, type Frame, type DecoderOptions } from './decoder.js';
export { CodecError, type CodecErrorCode } from './errors.js';
export { type Bytes, type Input, utf8, toBytes } from './bytes.js';
export { KEEP_OPEN_MARK_SIZE, hasKeepOpenMark, withKeepOpenMark } from './keep-open.js';
export {
  HEADER_SIZE,
  RPC_MODIFIER1,
  VARS_MODIFIER1,
  MAX_BODY,
  MAX_NAME,
  MAX_ARGS,
  MAX_ITEMS,
  MODIFIER2,
  CONTENT_LENGTH,
  DEFAULT_MAX_FRAME,
  DEFAULT_MAX_RESPONSE,
} from './constants.js';
