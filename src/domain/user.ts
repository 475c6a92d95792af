import type { Role } from './roles.js';

/** A person who signs in; never carries the password hash outside the auth flow. */
export interface User {
  id: string;
  orgId: string;
  email: string;
  role: Role;
  lastLogin: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface UserCredentials extends User {
  passwordHash: string;
}

/** The acting user, as far as user management cares. */
export interface UserManager {
  userId: string;
  orgId: string;
  role: Role;
}

/**
 * Why `manager` may not create, change or delete a user with `targetRole` in `targetOrgId`,
 * or undefined when they may. A tenant_admin manages its own org only and never an admin;
 * only an admin makes someone an admin.
 */
export function userManagementRefusal(
  manager: UserManager,
  target: { orgId: string; role: Role },
  newRole?: Role,
): string | undefined {
  if (manager.role === 'admin') return undefined;
  if (manager.role !== 'tenant_admin') return 'only admins and tenant admins manage users';
  if (manager.orgId !== target.orgId) return 'tenant admins manage users of their own organization only';
  if (target.role === 'admin') return 'only an admin may create, change or delete an admin user';
  if (newRole === 'admin') return 'only an admin may grant the admin role';
  return undefined;
}

/** Emails are stored trimmed; the database compares them case-insensitively (citext). */
export const normalizeEmail = (email: string): string => email.trim();
