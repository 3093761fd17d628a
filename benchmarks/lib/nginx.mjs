// nginx as the fast upstream stub and as the reference keep-alive reverse proxy. Each instance
// gets a generated config in its own temp dir, runs in the foreground (`daemon off`) as our
// child, and is stopped with the rest by cleanup().
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { makeTempDir, startChild } from './children.mjs';
import { STUB_REPLY } from './jsonrpc.mjs';

export const NGINX = process.env.NGINX_BIN ?? '/usr/sbin/nginx';
const run = promisify(execFile);

export async function nginxVersion() {
  const { stderr } = await run(NGINX, ['-v']);
  return stderr.trim().replace(/^nginx version:\s*/, '');
}

function mainConfig(dir, workers, httpBody) {
  return `daemon off;
master_process on;
worker_processes ${workers};
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  # The default (1000) would make wrk reconnect constantly and measure handshakes.
  keepalive_requests 10000000;
  keepalive_timeout 75s;
${httpBody}
}
`;
}

async function startNginx(name, httpBody, workers) {
  const dir = await makeTempDir(`turnpike-bench-${name}-`);
  await mkdir(join(dir, 'logs')); // nginx checks <prefix>/logs exists before reading the config
  const conf = join(dir, 'nginx.conf');
  await writeFile(conf, mainConfig(dir, workers, httpBody));
  // `-e` keeps even the pre-config error log out of /var/log.
  const child = await startChild(name, NGINX, ['-p', dir, '-c', conf, '-e', join(dir, 'error.log')], {
    ready: null,
  });
  return { child, dir };
}

/** Polls until a TCP port answers HTTP (nginx prints nothing when it is ready). */
async function waitForHttp(url, child, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exited) throw new Error(`${child.name} exited: ${child.tail.join('\n')}`);
    try {
      await fetch(url, { signal: AbortSignal.timeout(1_000) }).then((r) => r.arrayBuffer());
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`${child.name} not answering ${url}: ${err.message}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/**
 * The fast upstream: a fixed JSON-RPC reply via `return 200` (`reply`, default STUB_REPLY; no
 * single quotes), plus stub_status on a second port so a run can count how many requests
 * actually reached the upstream.
 */
export async function startNginxStub({ port, statusPort, workers = 2, reply = STUB_REPLY }) {
  if (reply.includes("'")) throw new Error('the stub reply cannot contain a single quote');
  const body = `
  server {
    listen 127.0.0.1:${port} backlog=4096;
    location / {
      default_type application/json;
      return 200 '${reply}';
    }
  }
  server {
    listen 127.0.0.1:${statusPort};
    location / { stub_status; }
  }`;
  const { child } = await startNginx('nginx-stub', body, workers);
  await waitForHttp(`http://127.0.0.1:${statusPort}/`, child);
  return { child, url: `http://127.0.0.1:${port}/`, statusUrl: `http://127.0.0.1:${statusPort}/` };
}

/** nginx as a keep-alive reverse proxy: the reference for what a proxy can cost here. */
export async function startNginxProxy({ port, upstreamPort, workers = 2 }) {
  const body = `
  upstream stub {
    server 127.0.0.1:${upstreamPort};
    keepalive 128;
    keepalive_requests 10000000;
  }
  server {
    listen 127.0.0.1:${port} backlog=4096;
    location / {
      proxy_pass http://stub;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }`;
  const { child } = await startNginx('nginx-proxy', body, workers);
  await waitForHttp(`http://127.0.0.1:${port}/`, child);
  return { child, url: `http://127.0.0.1:${port}/` };
}

/**
 * nginx with a caller's `http { … }` body (upstreams, servers); resolves once `readyUrl` answers.
 * The chaos suite's load balancer uses it.
 */
export async function startNginxWithConfig(name, httpBody, workers, readyUrl) {
  const { child, dir } = await startNginx(name, httpBody, workers);
  await waitForHttp(readyUrl, child);
  return { child, dir };
}

/** Total requests the stub nginx has handled (stub_status "requests"), minus the status call itself. */
export async function stubRequestCount(statusUrl) {
  const text = await fetch(statusUrl).then((r) => r.text());
  const match = /\n\s*\d+\s+\d+\s+(\d+)/.exec(text);
  if (!match) throw new Error(`unexpected stub_status output: ${text}`);
  return Number(match[1]);
}
