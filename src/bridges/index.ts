// The RPC bridges of request modifier2 2 (PATH_INFO), 3 (XML-RPC) and 4 (JSON-RPC); no node:* here.
export { pathInfoBridge } from './path-info-bridge.js';
export { xmlRpcBridge, XMLRPC_FAULT } from './xmlrpc-bridge.js';
export { jsonRpcBridge, JSONRPC_ERROR, type JsonRpcLimits, DEFAULT_JSONRPC_MAX_BATCH, DEFAULT_JSONRPC_MAX_DEPTH } from './jsonrpc-bridge.js';
export { parseXml, XmlError, type XmlElement, type XmlLimits, DEFAULT_XML_MAX_DEPTH, DEFAULT_XML_MAX_ELEMENTS } from './xml-parser.js';
