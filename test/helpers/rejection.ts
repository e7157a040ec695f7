import { expect } from 'vitest';
import { RpcError } from '../../src/rpc-error.js';

/** The RpcError a call rejects with (fails the test if it resolves or throws anything else). */
export async function rejection(p: Promise<unknown>): Promise<RpcError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(RpcError);
    return err as RpcError;
  }
  throw new Error('the call did not fail');
}
