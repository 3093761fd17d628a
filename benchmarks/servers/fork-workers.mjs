// For the baseline servers: with more than one worker, the primary forks them, prints the ready
// line once every worker listens, and stops them on SIGTERM. Returns true in that primary (it
// serves nothing itself); workers (and a single process) go on to listen and call `announceReady`.
import cluster from 'node:cluster';

export function forkWorkers(port, workers) {
  if (!cluster.isPrimary || workers <= 1) return false;
  let ready = 0;
  for (let i = 0; i < workers; i++) {
    cluster.fork().on('message', (message) => {
      if (message === 'ready' && ++ready === workers) console.log(`ready http://127.0.0.1:${port}`);
    });
  }
  process.on('SIGTERM', () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill('SIGTERM');
    process.exit(0);
  });
  return true;
}

/** Tells the primary this worker listens, or prints the ready line when there is no primary. */
export function announceReady(port) {
  if (cluster.isWorker) process.send?.('ready');
  else console.log(`ready http://127.0.0.1:${port}`);
}
