/** The usual cast of an API test: one organization with a signed-in user per role. */
import { ROLES, type Role } from '../../src/domain/roles.js';
import type { TestApp } from './app.js';

export interface Tenant {
  org: { id: string; name: string };
  /** An access token per role, each for a user of its own in `org`. */
  tokens: Record<Role, string>;
  /** The id of the user behind each token. */
  userIds: Record<Role, string>;
}

/** Creates an organization and one signed-in user per role in it. */
export async function createTenant(t: TestApp): Promise<Tenant> {
  const org = await t.createOrg();
  const tokens = {} as Record<Role, string>;
  const userIds = {} as Record<Role, string>;
  for (const role of ROLES) {
    const user = await t.createUser(org.id, role);
    userIds[role] = user.id;
    tokens[role] = await t.tokenFor(user);
  }
  return { org, tokens, userIds };
}
