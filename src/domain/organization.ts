/** A tenant: an airline or an MRO customer. */
export interface Organization {
  id: string;
  name: string;
  createdAt: Date;
  updatedAt: Date;
}

/** An organization's limits and retention settings (the specification's OrgPolicy). */
export interface OrgPolicy {
  orgId: string;
  /** How long soft-deleted operational rows are kept, as an ISO 8601 duration (e.g. `P365D`). */
  retentionInterval: string;
  maxWebhookAttempts: number;
  webhookReplayWindowSeconds: number;
  apiRateLimitPerMin: number;
  apiKeyRateLimitPerMin: number;
  /** How long before a confirmed task starts its aircraft is grounded, as an ISO 8601 duration. */
  groundingLeadTime: string;
  /** Whether a compliance sign-off or inspection re-enters the signer's password (electronic signature). */
  signOffReauthentication: boolean;
  /** How long an alert waits for an acknowledgement before it moves up a level, as an ISO 8601 duration. */
  alertEscalationAfter: string;
  /** How many days ahead a directive's coming limit counts as due (the due list, alerts, the dashboard). */
  directiveWarningDays: number;
  createdAt: Date;
  updatedAt: Date;
}

export type OrgPolicyPatch = Partial<Omit<OrgPolicy, 'orgId' | 'createdAt' | 'updatedAt'>>;

/** Organization names are trimmed and compared case-insensitively; the database enforces uniqueness. */
export const normalizeOrganizationName = (name: string): string => name.trim().replace(/\s+/g, ' ');
