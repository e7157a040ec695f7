// `uwsgi-rpc/router`: uWSGI's internal routing rules with the rpc plugin's actions, runtime-neutral.
// A Router built here (rules checked once, RouteError for what uWSGI would refuse) can be
// handed to RpcServer's `routes` option, or shared by several servers.
export { Router, type RouteOption } from './router.js';
export { parseRule, ROUTE_OPTIONS } from './parse-rule.js';
export { RouteError, type Rule, type Subject } from './rule.js';
