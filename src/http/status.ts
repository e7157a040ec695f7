// HTTP status lines: reason phrases as uWSGI writes them.
/** The reason phrases uWSGI knows (the same codes and words as its status table). */
const REASONS: Record<string, string> = {
  100: 'Continue',
  101: 'Switching Protocols',
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  203: 'Non-Authoritative Information',
  204: 'No Content',
  205: 'Reset Content',
  206: 'Partial Content',
  300: 'Multiple Choices',
  301: 'Moved Permanently',
  302: 'Found',
  303: 'See Other',
  304: 'Not Modified',
  305: 'Use Proxy',
  307: 'Temporary Redirect',
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  407: 'Proxy Authentication Required',
  408: 'Request Timeout',
  409: 'Conflict',
  410: 'Gone',
  411: 'Length Required',
  412: 'Precondition Failed',
  413: 'Request Entity Too Large',
  414: 'Request-URI Too Long',
  415: 'Unsupported Media Type',
  416: 'Requested Range Not Satisfiable',
  417: 'Expectation Failed',
  418: "I'm a teapot",
  422: 'Unprocessable Entity',
  425: 'Too Early',
  426: 'Upgrade Required',
  428: 'Precondition Required',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  451: 'Unavailable For Legal Reasons',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
  505: 'HTTP Version Not Supported',
  509: 'Bandwidth Limit Exceeded',
  511: 'Network Authentication Required',
};

/** The reason phrase for the first three chars of `status`, or undefined if uWSGI has none. */
export function reasonPhrase(status: string): string | undefined {
  const code = status.slice(0, 3);
  return Object.hasOwn(REASONS, code) ? REASONS[code] : undefined;
}

/**
 * The status text a response gets, as uWSGI's writer forms it: a status of up to 4 chars
 * ("404", "4041") becomes its first three plus the known phrase, or "Unknown"; a longer one
 * ("403 Go away") is used as given.
 */
export function statusText(status: string): string {
  if (status.length > 4) return status;
  return `${status.slice(0, 3)} ${reasonPhrase(status) ?? 'Unknown'}`;
}
