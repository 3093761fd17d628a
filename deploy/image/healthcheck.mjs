// The image's HEALTHCHECK: healthy while /readyz answers 200 (the slim image has no curl).
// TURNPIKE_HEALTHCHECK_URL overrides the address (another port, a path prefix).
import { get } from 'node:http';

const url = process.env.TURNPIKE_HEALTHCHECK_URL || 'http://127.0.0.1:4000/readyz';
const request = get(url, { timeout: 2_000 }, (response) => {
  response.resume();
  process.exit(response.statusCode === 200 ? 0 : 1);
});
request.on('timeout', () => request.destroy(new Error('timeout')));
request.on('error', () => process.exit(1));
