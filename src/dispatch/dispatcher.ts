// HttpDispatcher: one HTTP request in, one answer out: the routes first, then the RPC bridge its modifier2 names.
import { jsonRpcBridge, type JsonRpcLimits } from '../bridges/jsonrpc-bridge.js';
import { pathInfoBridge } from '../bridges/path-info-bridge.js';
import { xmlRpcBridge } from '../bridges/xmlrpc-bridge.js';
import type { XmlLimits } from '../bridges/xml-parser.js';
import type { Router } from '../routing/router.js';
import { internalError, notFound, tooLarge } from '../http/error-pages.js';
import type { RequestVars } from '../http/request-vars.js';
import { HttpResponse } from '../http/response.js';
import type { RpcTarget } from '../http/rpc-target.js';
import { type Bridge, DEFAULT_MAX_BODY } from './bridge.js';

export interface DispatcherOptions {
  /** uWSGI-style routing rules run first, for every HTTP request. */
  router?: Router | null;
  target: RpcTarget;
  log?: (line: string) => void;
  /** The most request body the XML-RPC and JSON-RPC bridges read (bytes). */
  maxBody?: number;
  xml?: XmlLimits;
  json?: JsonRpcLimits;
}

/**
 * One HTTP request (vars, and the body for bridges 3 and 4) in, one HttpResponse out; the
 * same for the HTTP front and for nginx's uwsgi_pass. As in uWSGI, routes run first; when
 * they let the request go on, the bridge answers; with no bridge the request gets uWSGI's
 * 404 page. (uWSGI with no app behind answers 500 there: with no app, "not found" says
 * what happened.)
 */
export class HttpDispatcher {
  readonly router: Router | null;
  readonly target: RpcTarget;
  readonly maxBody: number;
  private readonly log: (line: string) => void;
  private readonly xml: XmlLimits;
  private readonly json: JsonRpcLimits;

  constructor(options: DispatcherOptions) {
    this.router = options.router ?? null;
    this.target = options.target;
    this.log = options.log ?? (() => {});
    this.maxBody = options.maxBody ?? DEFAULT_MAX_BODY;
    this.xml = options.xml ?? {};
    this.json = options.json ?? {};
  }

  /** The answer to a body over maxBody (the front checks CONTENT_LENGTH or counts). */
  bodyTooLarge(): HttpResponse {
    const res = new HttpResponse();
    tooLarge(res);
    res.finish();
    return res;
  }

  async dispatch(vars: RequestVars, bridge: Bridge, body: Uint8Array | null = null): Promise<HttpResponse> {
    const res = new HttpResponse();
    try {
      if (this.router !== null && this.router.size > 0) {
        const outcome = await this.router.run(vars, res, this.target, this.log);
        if (outcome === 'break') {
          res.finish();
          return res;
        }
      }
      const b = body ?? new Uint8Array(0);
      switch (bridge) {
        case 2:
          await pathInfoBridge(vars, res, this.target, this.log);
          break;
        case 3:
          await xmlRpcBridge(b, res, this.target, this.log, this.xml);
          break;
        case 4:
          await jsonRpcBridge(b, res, this.target, this.log, this.json);
          break;
        default:
          notFound(res);
          break;
      }
    } catch (err) {
      this.log(`HTTP request failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      internalError(res);
    }
    res.finish();
    return res;
  }
}
