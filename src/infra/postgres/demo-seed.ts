import { sql } from 'kysely';
import type { DemoSeedMark, DemoSeedRepository } from '../../app/ports.js';
import type { Executor } from './executor.js';

/** `amss_demo_seed` (migration 28). */
export class PgDemoSeedRepository implements DemoSeedRepository {
  constructor(private readonly db: Executor) {}

  async last(orgName: string): Promise<DemoSeedMark | undefined> {
    return (
      this.db
        .selectFrom('amss_demo_seed')
        // Spelled out, not the date's text: that follows the server's DateStyle.
        .select(['version', sql<string>`to_char(seeded_on, 'YYYY-MM-DD')`.as('seededOn')])
        .where('org_name', '=', orgName)
        .executeTakeFirst()
    );
  }

  async record(orgName: string, mark: DemoSeedMark): Promise<void> {
    await this.db
      .insertInto('amss_demo_seed')
      .values({ org_name: orgName, version: mark.version, seeded_on: mark.seededOn })
      .onConflict((oc) =>
        oc.column('org_name').doUpdateSet((eb) => ({
          version: eb.ref('excluded.version'),
          seeded_on: eb.ref('excluded.seeded_on'),
        })),
      )
      .execute();
  }
}
