/**
 * The SQLite Store: one database file, the Subscriber half and the ledger half over one connection.
 */
import type { Store } from '../store.ts';
import { openSqlite } from './db.ts';
import { sqliteConfirmationStore } from './confirmations.ts';
import { sqliteConsoleStore } from './console.ts';
import { sqliteInboundStore } from './inbound.ts';
import { sqliteLedgerStore } from './ledger.ts';
import { sqliteSubscriberStore } from './subscribers.ts';

export function openSqliteStore(file: string): Store {
  const db = openSqlite(file);
  return {
    kind: 'sqlite',
    ...sqliteSubscriberStore(db),
    ...sqliteConfirmationStore(db),
    ...sqliteLedgerStore(db),
    ...sqliteInboundStore(db),
    ...sqliteConsoleStore(db),
    close: async () => {
      db.close();
    },
  };
}
