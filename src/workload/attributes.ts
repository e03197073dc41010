/**
 * What a database or network workload span did, beside the `workload.*` attributes every
 * workload span has: the statements and rows behind a slow db_* span, the bytes behind a
 * net_* one.
 */
import type { Attributes } from '@opentelemetry/api';
import type { DbResult } from './operations/db.js';
import type { NetworkResult } from './operations/network.js';

export const ATTR_WORKLOAD_DB_STATEMENTS = 'workload.db.statements';
export const ATTR_WORKLOAD_DB_ROWS_READ = 'workload.db.rows_read';
/** db_locked_transaction: ms spent taking the row lock, waiting for whoever held it. */
export const ATTR_WORKLOAD_DB_LOCK_WAIT_MS = 'workload.db.lock_wait_ms';
export const ATTR_WORKLOAD_NET_ROUND_TRIPS = 'workload.net.round_trips';
export const ATTR_WORKLOAD_NET_PAYLOAD_BYTES = 'workload.net.payload_bytes';
export const ATTR_WORKLOAD_NET_BYTES_SENT = 'workload.net.bytes_sent';
export const ATTR_WORKLOAD_NET_BYTES_RECEIVED = 'workload.net.bytes_received';

export function dbAttributes(r: DbResult): Attributes {
  return {
    [ATTR_WORKLOAD_DB_STATEMENTS]: r.statements,
    [ATTR_WORKLOAD_DB_ROWS_READ]: r.rowsRead,
    ...(r.lockWaitMs === undefined
      ? {}
      : { [ATTR_WORKLOAD_DB_LOCK_WAIT_MS]: Math.round(r.lockWaitMs * 1000) / 1000 }),
  };
}

/** OpenTelemetry's (stable): where the payloads went. */
const ATTR_SERVER_ADDRESS = 'server.address';
const ATTR_SERVER_PORT = 'server.port';

export function networkAttributes(r: NetworkResult): Attributes {
  return {
    [ATTR_SERVER_ADDRESS]: '127.0.0.1',
    [ATTR_SERVER_PORT]: r.port,
    [ATTR_WORKLOAD_NET_ROUND_TRIPS]: r.roundTrips,
    [ATTR_WORKLOAD_NET_PAYLOAD_BYTES]: r.payloadBytes,
    [ATTR_WORKLOAD_NET_BYTES_SENT]: r.bytesSent,
    [ATTR_WORKLOAD_NET_BYTES_RECEIVED]: r.bytesReceived,
  };
}
