// Negative return codes shared with src/codec/codes.ts (a test checks they agree).
export const E_SHORT_HEADER: i32 = -1;
export const E_WRONG_MODIFIER1: i32 = -2;
export const E_SIZE_MISMATCH: i32 = -3;
export const E_TRUNCATED_LENGTH: i32 = -4;
export const E_TRUNCATED_ITEM: i32 = -5;
export const E_EMPTY_KEY: i32 = -6;
export const E_EMPTY_NAME: i32 = -7;
export const E_NAME_TOO_LONG: i32 = -8;
export const E_TOO_MANY_ARGS: i32 = -9;
export const E_BODY_TOO_LARGE: i32 = -10;
export const E_FRAME_TOO_LARGE: i32 = -11;
export const E_BAD_CONTENT_LENGTH: i32 = -12;
export const E_INVALID_MODIFIER: i32 = -13;
