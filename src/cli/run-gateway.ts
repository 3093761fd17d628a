/**
 * Runs a validated config: in-process for one worker, under node:cluster for more or when the
 * relayer engine gets a worker of its own (relayer.engineProcess `own`). Resolves
 * with the base URL once every worker listens; SIGTERM/SIGINT drain and exit 0.
 */
import { availableParallelism } from 'node:os';
import { ownsEngineWorker } from '../cluster/cluster-messages.js';
import { startCluster } from '../cluster/cluster-primary.js';
import { databaseLocation } from '../config/effective-settings.js';
import type { TurnpikeConfig } from '../config/schema.js';
import { createGateway } from '../gateway.js';
import { createLogger } from '../logging/logger.js';
import { openDatabase } from '../store/database.js';

export interface RunningGateway {
  readonly url: string;
  stop(): Promise<void>;
}

export function workerCount(requested: number): number {
  return requested > 0 ? requested : availableParallelism();
}

export async function runGateway(config: TurnpikeConfig): Promise<RunningGateway> {
  const workers = workerCount(config.server.workers);
  if (workers === 1 && !ownsEngineWorker(config)) {
    const gateway = createGateway(config);
    try {
      const { url } = await gateway.listen();
      return { url, stop: () => gateway.close() };
    } catch (err) {
      // start() ran before the bind failed: its timers and relayer key workers would keep the
      // process alive, so close what it opened.
      await gateway.close(0).catch(() => undefined);
      throw err;
    }
  }
  const log = createLogger(config.logging.level);
  // Migrate once here, so workers starting together do not race for the migration lock.
  if (config.tenancy.enabled || config.relayer.enabled) {
    const database = await openDatabase({ ...config.storage, database: databaseLocation(config.storage) });
    await database.close();
  }
  let handle: ReturnType<typeof startCluster> | undefined;
  const url = await new Promise<string>((resolve, reject) => {
    handle = startCluster({ config, workers, log, onReady: resolve, onFailed: reject });
  });
  return { url, stop: () => handle!.shutdown() };
}

/** Stops on the first SIGTERM/SIGINT; a second signal exits at once. */
export function stopOnSignals(stop: () => Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    let stopping = false;
    const onSignal = () => {
      if (stopping) process.exit(1);
      stopping = true;
      stop().then(resolve, (err: unknown) => {
        process.stderr.write(`shutdown failed: ${String(err)}\n`);
        process.exit(1);
      });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
