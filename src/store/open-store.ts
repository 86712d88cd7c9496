/**
 * DATABASE_URL → Store. `sqlite:PATH` (the embedded default) or `postgres://…`.
 */
import { SudiError } from '../errors.ts';
import type { Store } from './store.ts';

export async function openStore(databaseUrl: string): Promise<Store> {
  if (databaseUrl.startsWith('sqlite:')) {
    const { openSqliteStore } = await import('./sqlite/index.ts');
    return openSqliteStore(databaseUrl.slice('sqlite:'.length));
  }
  if (/^postgres(ql)?:\/\//.test(databaseUrl)) {
    const { openPostgresStore } = await import('./postgres/index.ts');
    return openPostgresStore(databaseUrl);
  }
  throw new SudiError('E_CONFIG', `DATABASE_URL ${databaseUrl} is not supported (expected sqlite:PATH or postgres://USER@HOST/DB)`);
}
