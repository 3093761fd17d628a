/** A small client of the dashboard for tests: sign in with the form, read the event stream. */
import { request } from 'node:http';

export interface StreamEvent {
  readonly event: string;
  readonly data: string;
}

/** Posts the sign-in form; returns the response and the `name=value` of the session cookie. */
export async function signIn(
  base: string,
  token: string,
): Promise<{ status: number; cookie: string; setCookie: string }> {
  const res = await fetch(`${base}/dashboard/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', connection: 'close' },
    body: new URLSearchParams({ token }).toString(),
    redirect: 'manual',
  });
  await res.arrayBuffer();
  const setCookie = res.headers.get('set-cookie') ?? '';
  return { status: res.status, cookie: setCookie.split(';')[0]!, setCookie };
}

/**
 * Reads server-sent events from `/dashboard/api/stream` until `enough` says so; rejects after
 * `boundMs` (with the events seen) or on a status other than 200.
 */
export function readEvents(
  base: string,
  cookie: string,
  enough: (events: readonly StreamEvent[]) => boolean,
  boundMs = 15_000,
): Promise<{ events: StreamEvent[]; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const events: StreamEvent[] = [];
    let buffer = '';
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`not enough events within ${boundMs} ms: ${events.map((e) => e.event).join(', ')}`));
    }, boundMs);
    const req = request(`${base}/dashboard/api/stream`, { headers: { cookie } }, (res) => {
      if (res.statusCode !== 200) {
        clearTimeout(timer);
        req.destroy();
        reject(new Error(`status ${res.statusCode}`));
        return;
      }
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end = buffer.indexOf('\n\n');
        while (end !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event !== undefined && data !== undefined) events.push({ event, data });
          end = buffer.indexOf('\n\n');
        }
        if (enough(events)) {
          clearTimeout(timer);
          req.destroy();
          resolve({ events, headers: res.headers });
        }
      });
    });
    req.on('error', () => undefined);
    req.end();
  });
}
