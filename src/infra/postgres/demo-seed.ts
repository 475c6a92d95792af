import { sql } from 'kysely';
import type { DemoSeedMark, DemoSeedRepository } from '../../app/ports.js';
import type { Executor } from './executor.js';

/** The one row of `amss_demo_seed` (migration 28). */
export class PgDemoSeedRepository implements DemoSeedRepository {
  constructor(private readonly db: Executor) {}

  async last(): Promise<DemoSeedMark | undefined> {
    const { rows } = await sql<DemoSeedMark>`
      SELECT version, seeded_on::text AS "seededOn" FROM amss_demo_seed`.execute(this.db);
    return rows[0];
  }

  async record(mark: DemoSeedMark): Promise<void> {
    await sql`
      INSERT INTO amss_demo_seed (version, seeded_on) VALUES (${mark.version}, ${mark.seededOn})
      ON CONFLICT (only_row) DO UPDATE SET version = excluded.version, seeded_on = excluded.seeded_on`.execute(
      this.db,
    );
  }
}
