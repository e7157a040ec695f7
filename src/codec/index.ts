export { createCodec, createCodecSync, AUTO_SCAN_THRESHOLD, type CodecOptions, type EngineChoice } from './create.js';
export { Codec, type DecodedRequest, type DecodedResponse, type Engine, type Header, type ViewClass } from './codec.js';
export { TextBytes } from './text-bytes.js';
export { FrameDecoder, type Frame, type DecoderOptions } from './decoder.js';
export { CodecError, type CodecErrorCode } from './errors.js';
export { CODES } from './codes.js';
export { type Bytes, type Input, utf8, toBytes } from './bytes.js';
export * from './constants.js';
