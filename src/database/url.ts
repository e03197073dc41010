import { DATABASE_ERRORS, DatabaseError } from './errors.js';

/**
 * Checks a connection URL and returns it as shown to people: the password replaced by `***`,
 * so it can go into messages, logs and the banner.
 */
export function redactDatabaseUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new DatabaseError(DATABASE_ERRORS.DB_ERR_BAD_URL, `not a database URL: ${url}`, {
      hint: 'postgres://user:password@host:port/database',
    });
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new DatabaseError(
      DATABASE_ERRORS.DB_ERR_BAD_URL,
      `not a PostgreSQL URL (${parsed.protocol}): ${redactPassword(parsed)}`,
      { hint: 'postgres://user:password@host:port/database' },
    );
  }
  return redactPassword(parsed);
}

function redactPassword(parsed: URL): string {
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}
