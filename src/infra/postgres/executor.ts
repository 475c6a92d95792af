import type { Kysely, Transaction } from 'kysely';
import type { DB } from './schema.js';

/** A connection or a transaction: every repository takes one explicitly. */
export type Executor = Kysely<DB> | Transaction<DB>;
