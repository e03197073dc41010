import type { AddressInfo } from 'node:net';
import { connectRedis, DEFAULT_KEY_PREFIX } from '../../bus/index.js';
import { DEFAULT_REDIS_URL } from '../../config/index.js';
import { connectDatabase, migrate } from '../../database/index.js';
import type { Database, DatabaseOptions } from '../../database/index.js';
import type { Logger } from '../../telemetry/index.js';
import { allowedHostNames, bindWarning, listenFailure } from '../../http-guard/index.js';
import { SERVICES } from '../../model/index.js';
import { ServiceError } from '../errors.js';
import { crashProcess, workloadAndFaults } from '../process-parts.js';
import type { RunningService, ServiceRunConfig, ServiceRunDeps } from '../run-types.js';
import { buildInventoryApp } from './app.js';
import { isDatabaseDown } from './database-down.js';
import { syncDatabaseFaults } from './database-faults.js';
import { stockBackend } from './stock-backend.js';

/** How long a starting inventory waits for its database, under `up`'s 30 s to be ready. */
const DATABASE_WAIT_MS = 20_000;

/**
 * A replica restarted while the database is away waits for it to come back, within
 * DATABASE_WAIT_MS, rather than failing at once and again until `up` gives up on it.
 */
async function connectPatiently(options: DatabaseOptions, logger: Logger): Promise<Database> {
  const deadline = Date.now() + DATABASE_WAIT_MS;
  for (let said = false; ; said = true) {
    try {
      return await connectDatabase(options);
    } catch (err) {
      if (!isDatabaseDown(err) || Date.now() >= deadline) throw err;
      if (!said) logger.warn('the database is unreachable: waiting for it', { error: err });
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/**
 * Inventory: its database (migrated: idempotent, so replicas and `up` may all ask), Redis for
 * the run-time fault switches and the workload's I/O, then the HTTP app. Stops gracefully:
 * no new requests, the ones in hand answered, then the pool closed.
 */
export async function startInventory(
  config: ServiceRunConfig,
  deps: ServiceRunDeps,
): Promise<RunningService> {
  const def = SERVICES.inventory;
  if (!config.databaseUrl) {
    throw new ServiceError(
      'SVC_ERR_NO_DATABASE',
      'inventory keeps its stock in PostgreSQL: name it with --database-url or DATABASE_URL (tracelab up starts one for it)',
    );
  }
  const poolSize = config.databasePool ?? 10;
  const db = await connectPatiently(
    {
      url: config.databaseUrl,
      poolSize,
      applicationName: `${def.serviceName}-${config.replica}`,
    },
    deps.logger,
  );
  const redisUrl = config.bus.redisUrl ?? DEFAULT_REDIS_URL;
  const keyPrefix = config.bus.keyPrefix ?? DEFAULT_KEY_PREFIX;
  let redis;
  try {
    await migrate(db);
    redis = await connectRedis(redisUrl);
  } catch (err) {
    await db.close();
    throw err;
  }
  const backend = stockBackend(db);
  const parts = workloadAndFaults('inventory', config, deps, redis, keyPrefix, db);
  const { workload, faults } = parts;
  const dbFaults = syncDatabaseFaults(backend, faults, { poolSize }, deps.logger);
  const closeAll = async () => {
    dbFaults.stop();
    await parts.close();
    redis.disconnect();
    await db.close();
  };
  // The index as the faults say before the first order (one left dropped comes back).
  await dbFaults.sync().catch((err: unknown) => {
    deps.logger.warn('database faults not applied yet', { error: err });
  });
  const { host } = config;
  const port = config.inventoryPort ?? 0;
  const app = buildInventoryApp({
    backend,
    workload,
    tracer: deps.tracer,
    logger: deps.logger,
    faults,
    crash: crashProcess(deps),
    allowedHosts: allowedHostNames({ bindHost: host, publicHosts: config.publicHosts }),
  });
  let address: string;
  try {
    address = await app.listen({ host, port });
  } catch (err) {
    await closeAll();
    const where = { host, port, portFlag: '--inventory-port', hostFlag: '--host' };
    throw new ServiceError(
      'SVC_ERR_LISTEN',
      listenFailure(err, where) ?? `cannot listen on ${host}:${port}: ${(err as Error).message}`,
    );
  }
  const warning = bindWarning(
    'inventory',
    host,
    [(app.server.address() as AddressInfo).port],
    'reserve stock',
  );
  if (warning) process.stderr.write(`tracelab: ${warning}\n`);
  return {
    ready: `${def.serviceName}: listening on ${address}, stock in ${db.url}`,
    urls: { inventory: address },
    async stop() {
      await app.close();
      await closeAll();
    },
  };
}
