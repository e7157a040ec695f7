// The routing actions by name, as a rule's `ACTION:ARGS` names them.
import type { Action } from '../rule.js';
import {
  addHeaderAction,
  addVarAction,
  breakAction,
  continueAction,
  gotoAction,
  logAction,
  returnAction,
} from './flow-actions.js';
import { rpcAction, rpcNextAction, rpcRawAction, rpcRetAction, rpcVarAction } from './rpc-actions.js';

/** Routing actions by name (the part of a rule before the first `:`), built from their args. */
export const ACTIONS: Readonly<Record<string, (args: string) => Action>> = {
  rpc: rpcAction,
  call: rpcAction,
  rpcnext: rpcNextAction,
  rpcblob: rpcNextAction,
  rpcraw: rpcRawAction,
  rpcvar: rpcVarAction,
  rpcret: rpcRetAction,
  continue: continueAction,
  last: continueAction,
  break: breakAction,
  return: returnAction,
  'break-with-status': returnAction,
  goto: gotoAction,
  log: logAction,
  addheader: addHeaderAction,
  addvar: addVarAction,
};
