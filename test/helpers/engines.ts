import { type Codec, createCodec } from '../../src/codec/index.js';

/** Every suite that touches the codec runs once per engine. */
export const ENGINES = ['ts', 'wasm'] as const;
export type EngineName = (typeof ENGINES)[number];

export function codecFor(engine: EngineName): Promise<Codec> {
  return createCodec({ engine });
}
