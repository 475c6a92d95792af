/** The five roles of the specification. `admin` is system-wide; every other role acts inside its own org. */
export const ROLES = ['admin', 'tenant_admin', 'scheduler', 'mechanic', 'auditor'] as const;

export type Role = (typeof ROLES)[number];

export const isRole = (value: unknown): value is Role => ROLES.includes(value as Role);
