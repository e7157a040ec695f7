/**
 * The offset table both kernels fill: u32 words, a 4-word head then entries.
 *   array   head [count]                       entries (offset, length) per item
 *   vars    head [count]                       entries (kOff, kLen, vOff, vLen) per pair
 *   request head [count, modifier1, modifier2] entries as array, offsets from packet start
 *   header  head [-, modifier1, datasize, modifier2]
 *   frames  head [count, consumed, status]     entries (modifier1, modifier2, bodyOff, bodyLen)
 *   requests head [count, consumed, status, words] per frame: (modifier1, modifier2, bodyOff,
 *           bodyLen, items) then `items` (offset, length) pairs; items < 0 (as i32) is the
 *           code of a body that is not a valid array
 * Offsets are relative to the bytes the caller passed, so views go over the caller's bytes.
 */
export const HEAD = 4;
export const TABLE_WORDS = 65536;

/** scanFrames status: stopped at an incomplete frame (or the end). */
export const SCAN_NEED_MORE = 0;
/** stopped before a 64-bit-form answer (response mode): the host reads the dict. */
export const SCAN_DICT = 1;
/** stopped with frames left: the table (or the WASM input window) is full; scan again. */
export const SCAN_FULL = 2;
