// HTTP requests as uWSGI sees them (vars, responses) and the dispatcher shared by the HTTP
// front and nginx's uwsgi_pass; no node:* here.
export { RequestVars } from './request-vars.js';
export { varsFromHttp, headerVars, type HttpRequestHead, type HttpEndpoint } from './http-vars.js';
export { decodePathInfo } from './path-info.js';
export { HttpResponse, type HeaderLine, type SentHead } from './response.js';
export { statusText, reasonPhrase } from './status.js';
export { notFound, internalError } from './error-pages.js';
export { rpcTarget, type RpcTarget, type LocalFunctions, type RemoteCall } from './rpc-target.js';
export { HttpDispatcher, isBridge, BRIDGES, DEFAULT_MAX_BODY, type Bridge, type DispatcherOptions } from './dispatcher.js';
export { bytesToBinary, binaryToBytes, textToBinary, binaryToText } from './binary.js';
