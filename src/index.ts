/** Public API of the `turnpike` package. */
export { formatIssues, loadConfigFile, parseConfigText, validateConfig } from './config/load.js';
export type { TurnpikeConfig, TurnpikeConfigInput } from './config/schema.js';
export { ERROR_CODES, type ErrorCode } from './errors/codes.js';
export { GatewayError } from './errors/gateway-error.js';
export { createGateway, type Gateway, type GatewayOptions } from './gateway.js';
