// uWSGI-style internal routing with the rpc plugin's actions (no node:* here).
export { Router, type RouteOption } from './router.js';
export { parseRule, isRouteOption, ROUTE_OPTIONS, SUBJECT_OPTIONS } from './parse-rule.js';
export { RouteError, type Rule, type Outcome, type Subject } from './rule.js';
export { compilePcre, PcreError } from './pcre.js';
export { translate } from './translate.js';
