/**
 * The one table of error codes, kept by area in codes-*.ts. Every code is documented in
 * docs/errors.md (a test checks it).
 */
import { REALTIME_CODES } from './codes-realtime.js';
import { RELAYER_CODES } from './codes-relayer.js';
import { REQUEST_CODES } from './codes-request.js';
import { TENANCY_CODES } from './codes-tenancy.js';

export type { ErrorCodeSpec, RetryScope } from './error-code-spec.js';

export const ERROR_CODES = {
  ...REQUEST_CODES,
  ...TENANCY_CODES,
  ...RELAYER_CODES,
  ...REALTIME_CODES,
};

export type ErrorCode = keyof typeof ERROR_CODES;
