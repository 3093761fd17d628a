// One client process of `bench:ws` (forked with IPC): opens its share of WebSocket connections,
// each holding a `newHeads` and a `logs` subscription, and records what arrives. It runs apart
// from the orchestrator and from the gateway so the generator does not share their event loop.
//
// Parent → child: { cmd: 'open', url, count, first, filters } → { opened, failed, errors }
//                 { cmd: 'lowest-head' } → { lowest } (the lowest last head over the sockets)
//                 { cmd: 'count-from', block } → blocks below it are not counted
//                 { cmd: 'report', truth } → { checks, blocks, errors }   (see ws-checks.mjs)
//                 { cmd: 'reset' } → closes every socket, ready for the next phase
//                 { cmd: 'close' } → closes every socket and exits.
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { BlockTimes, ConnectionRecord, sumChecks } from '../lib/ws-checks.mjs';

const now = () => performance.timeOrigin + performance.now();
/** Handshakes in flight at once per process: a burst of 2,500 SYNs overflows the accept queue. */
const OPEN_CONCURRENCY = 64;
const SUBSCRIBE_TIMEOUT_MS = 30_000;

let records = [];
let sockets = [];
const times = new BlockTimes();
const errors = new Map();

function noteError(text) {
  errors.set(text, (errors.get(text) ?? 0) + 1);
}

/** Opens one socket and subscribes newHeads + logs; resolves once both ids are in. */
function openOne(url, index, filter) {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const record = new ConnectionRecord(index, filter);
    let headsId = null;
    let logsId = null;
    let settled = false;
    const timer = setTimeout(() => done('subscribe timeout'), SUBSCRIBE_TIMEOUT_MS);
    const done = (error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) {
        noteError(error);
        ws.terminate();
        resolve(null);
      } else resolve({ ws, record });
    };
    ws.on('open', () => {
      ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_subscribe', params: ['newHeads'] }));
      ws.send(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'eth_subscribe', params: ['logs', filter] }));
    });
    ws.on('message', (data) => {
      const at = now();
      const message = JSON.parse(data.toString());
      if (message.method === 'eth_subscription') {
        const { subscription, result, error } = message.params;
        if (error) {
          record.endedWithError++;
          noteError(`subscription ended: ${error.message}`);
        } else if (subscription === headsId) {
          const number = Number.parseInt(result.number, 16);
          record.head(number, result.hash);
          times.note(number, at, result.hash);
        } else if (subscription === logsId) {
          const number = Number.parseInt(result.blockNumber, 16);
          record.log(number, Number.parseInt(result.logIndex, 16), result.topics, result.removed === true);
          times.note(number, at);
        } else record.unknown++;
        return;
      }
      if (message.error) return done(`eth_subscribe: ${message.error.message}`);
      if (message.id === 1) headsId = message.result;
      if (message.id === 2) logsId = message.result;
      if (headsId !== null && logsId !== null) done(null);
    });
    ws.on('unexpected-response', (_req, res) => done(`handshake refused: HTTP ${res.statusCode}`));
    ws.on('error', (err) => done(`socket error: ${err.code ?? err.message}`));
    ws.on('close', (code) => {
      if (!settled) return done(`closed before subscribing (${code})`);
      if (!record.closing) {
        record.closedEarly = code;
        noteError(`closed during the run (${code})`);
      }
    });
  });
}

async function open({ url, count, first, filters }) {
  let next = 0;
  let failed = 0;
  const worker = async () => {
    while (next < count) {
      const index = first + next++;
      const opened = await openOne(url, index, filters[index % filters.length]);
      if (opened === null) failed++;
      else {
        sockets.push(opened.ws);
        records.push(opened.record);
      }
    }
  };
  await Promise.all(Array.from({ length: OPEN_CONCURRENCY }, worker));
  return { opened: records.length, failed, errors: Object.fromEntries(errors) };
}

/**
 * `truth`: { first, last, logs: [[blockNumber, topic1], …] } (the chain's own logs of the range,
 * read from anvil after the run): what every connection should have received.
 */
function report(truth) {
  for (const record of records) record.closing = true;
  const expected = new Map();
  const expectedLogs = (filterKey) => {
    let count = expected.get(filterKey);
    if (count === undefined) {
      const topics = filterKey === '*' ? null : new Set(filterKey.split(','));
      count = truth.logs.filter(([, topic]) => topics === null || topics.has(topic)).length;
      expected.set(filterKey, count);
    }
    return count;
  };
  const check = { first: truth.first, last: truth.last, expectedLogs };
  return {
    checks: sumChecks(records.map((record) => record.check(check))),
    blocks: times.toJSON(),
    errors: Object.fromEntries(errors),
  };
}

async function closeAll() {
  for (const record of records) record.closing = true;
  await Promise.all(
    sockets.map(
      (ws) =>
        new Promise((resolve) => {
          if (ws.readyState === WebSocket.CLOSED) return resolve();
          ws.once('close', resolve);
          ws.close(1000);
          setTimeout(() => {
            ws.terminate();
            resolve();
          }, 2_000).unref();
        }),
    ),
  );
  sockets = [];
  records = [];
  ConnectionRecord.countFrom = Number.POSITIVE_INFINITY;
  times.clear();
  errors.clear();
}

process.on('message', async (message) => {
  try {
    if (message.cmd === 'open') process.send({ ok: true, ...(await open(message)) });
    else if (message.cmd === 'lowest-head') {
      let lowest = Number.POSITIVE_INFINITY;
      for (const record of records) if (record.lastHead < lowest) lowest = record.lastHead;
      process.send({ ok: true, lowest: records.length === 0 ? null : lowest });
    } else if (message.cmd === 'count-from') {
      ConnectionRecord.countFrom = message.block;
      process.send({ ok: true });
    } else if (message.cmd === 'report') process.send({ ok: true, ...report(message.truth) });
    else if (message.cmd === 'reset') {
      await closeAll();
      process.send({ ok: true });
    } else if (message.cmd === 'close') {
      await closeAll();
      process.exit(0);
    }
  } catch (err) {
    process.send({ ok: false, error: err.stack ?? String(err) });
  }
});
// The orchestrator died: do not linger.
process.on('disconnect', () => process.exit(0));
process.send({ ready: true });
