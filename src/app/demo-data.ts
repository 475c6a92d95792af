import type { Role } from '../domain/roles.js';
import { systemActor } from './actor.js';
import type { AuditEntry } from './audit.js';
import { mutate } from './mutation.js';
import { organizationView } from './organizations.js';
import { userView } from './users.js';
import type { UnitOfWork } from './ports.js';

export const DEMO_ORG_NAME = 'Demo Airline';
/** The documented demo password; `amss seed` refuses to run in production. */
export const DEMO_PASSWORD = 'ChangeMe123!';

/** One demo login per role. */
export const DEMO_USERS: readonly { email: string; role: Role }[] = [
  { email: 'admin@demo.local', role: 'admin' },
  { email: 'tenant-admin@demo.local', role: 'tenant_admin' },
  { email: 'scheduler@demo.local', role: 'scheduler' },
  { email: 'mechanic@demo.local', role: 'mechanic' },
  { email: 'auditor@demo.local', role: 'auditor' },
];

export interface SeedResult {
  orgId: string;
  /** Number of records created by this run; 0 when everything was already there. */
  created: number;
}

/**
 * Creates the demo organization and its users when they are missing, so running it twice
 * changes nothing the second time. Everything it creates is audited as `system:seed`.
 */
export async function seedDemoData(
  uow: UnitOfWork,
  hashPassword: (plain: string) => Promise<string>,
): Promise<SeedResult> {
  const passwordHash = await hashPassword(DEMO_PASSWORD);
  const existing = await uow.repos.organizations.findByName(DEMO_ORG_NAME);
  if (existing && (await missingUsers(uow, existing.id)).length === 0)
    return { orgId: existing.id, created: 0 };

  return mutate(uow, { actor: systemActor('seed') }, async (repos) => {
    const audit: AuditEntry[] = [];
    let org = await repos.organizations.findByName(DEMO_ORG_NAME);
    if (!org) {
      org = await repos.organizations.insert({ name: DEMO_ORG_NAME });
      await repos.orgPolicies.insertDefaults(org.id);
      audit.push({
        orgId: org.id,
        entityType: 'organization',
        entityId: org.id,
        action: 'create',
        after: organizationView(org),
      });
    }
    for (const { email, role } of DEMO_USERS) {
      const [found] = await repos.users.findCredentials(email, org.id);
      if (found) continue;
      const user = await repos.users.insert({ orgId: org.id, email, role, passwordHash });
      audit.push({
        orgId: org.id,
        entityType: 'user',
        entityId: user.id,
        action: 'create',
        after: userView(user),
      });
    }
    return { result: { orgId: org.id, created: audit.length }, audit };
  });
}

async function missingUsers(uow: UnitOfWork, orgId: string): Promise<string[]> {
  const missing: string[] = [];
  for (const { email } of DEMO_USERS) {
    const [found] = await uow.repos.users.findCredentials(email, orgId);
    if (!found) missing.push(email);
  }
  return missing;
}
