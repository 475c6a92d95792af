import { sql, type Transaction } from 'kysely';
import type { ImportBatchRunner } from '../../app/imports.js';
import type { Repositories, UnitOfWork } from '../../app/ports.js';
import type { Database } from './database.js';
import { translateDatabaseError } from './errors.js';
import type { DB } from './schema.js';
import { createRepositories } from './unit-of-work.js';

/**
 * Runs an import batch in one PostgreSQL transaction. Its unit of work turns every nested
 * "transaction" into a savepoint, so the services a row is applied with keep their own
 * all-or-nothing behaviour: a refused row is rolled back to its savepoint while the batch goes on.
 */
export class PgImportBatchRunner implements ImportBatchRunner {
  constructor(private readonly db: Database) {}

  async run<T>(work: (batch: { unit: UnitOfWork }) => Promise<T>): Promise<T> {
    try {
      return await this.db.transaction().execute((tx) => work({ unit: new SavepointUnitOfWork(tx) }));
    } catch (error) {
      throw translateDatabaseError(error);
    }
  }
}

class SavepointUnitOfWork implements UnitOfWork {
  readonly repos: Repositories;
  private savepoints = 0;

  constructor(private readonly tx: Transaction<DB>) {
    this.repos = createRepositories(tx);
  }

  async transaction<T>(work: (repos: Repositories) => Promise<T>): Promise<T> {
    this.savepoints += 1;
    const name = sql.id(`import_row_${this.savepoints}`);
    await sql`SAVEPOINT ${name}`.execute(this.tx);
    try {
      const result = await work(this.repos);
      await sql`RELEASE SAVEPOINT ${name}`.execute(this.tx);
      return result;
    } catch (error) {
      await sql`ROLLBACK TO SAVEPOINT ${name}`.execute(this.tx);
      throw translateDatabaseError(error);
    }
  }
}
