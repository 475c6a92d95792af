import type { RefreshTokenRecord, RefreshTokenRepository } from '../../app/ports.js';
import type { Executor } from './executor.js';

export class PgRefreshTokenRepository implements RefreshTokenRepository {
  constructor(private readonly db: Executor) {}

  async insert(input: {
    id: string;
    orgId: string;
    userId: string;
    familyId: string;
    tokenHash: string;
    expiresAt: Date;
  }): Promise<void> {
    await this.db
      .insertInto('refresh_tokens')
      .values({
        id: input.id,
        org_id: input.orgId,
        user_id: input.userId,
        family_id: input.familyId,
        token_hash: input.tokenHash,
        expires_at: input.expiresAt,
      })
      .execute();
  }

  async findByHash(tokenHash: string): Promise<RefreshTokenRecord | undefined> {
    const row = await this.db
      .selectFrom('refresh_tokens')
      .select(['id', 'org_id', 'user_id', 'family_id', 'expires_at', 'used_at', 'revoked_at'])
      .where('token_hash', '=', tokenHash)
      .executeTakeFirst();
    return (
      row && {
        id: row.id,
        orgId: row.org_id,
        userId: row.user_id,
        familyId: row.family_id,
        expiresAt: row.expires_at,
        usedAt: row.used_at,
        revokedAt: row.revoked_at,
      }
    );
  }

  async markUsed(id: string, replacedBy: string): Promise<boolean> {
    // Conditional on "not used yet": of two requests racing with the same token, exactly one wins.
    const result = await this.db
      .updateTable('refresh_tokens')
      .set({ used_at: new Date(), replaced_by: replacedBy })
      .where('id', '=', id)
      .where('used_at', 'is', null)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  async revokeFamily(familyId: string): Promise<void> {
    await this.db
      .updateTable('refresh_tokens')
      .set({ revoked_at: new Date() })
      .where('family_id', '=', familyId)
      .where('revoked_at', 'is', null)
      .execute();
  }

  async revokeForUser(orgId: string, userId: string): Promise<void> {
    await this.db
      .updateTable('refresh_tokens')
      .set({ revoked_at: new Date() })
      .where('org_id', '=', orgId)
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .execute();
  }

  async revokeForOrg(orgId: string): Promise<void> {
    await this.db
      .updateTable('refresh_tokens')
      .set({ revoked_at: new Date() })
      .where('org_id', '=', orgId)
      .where('revoked_at', 'is', null)
      .execute();
  }

  async deleteExpired(before: Date): Promise<number> {
    // A surviving predecessor's replaced_by link is cleared by the foreign key (ON DELETE SET NULL).
    const result = await this.db
      .deleteFrom('refresh_tokens')
      .where('expires_at', '<', before)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
