import { randomUUID } from 'node:crypto';
import { verifyAgainstNothing, verifyPassword } from '../auth/passwords.js';
import { hashToken } from '../auth/tokens.js';
import { normalizeEmail, type User, type UserCredentials } from '../domain/user.js';
import { anonymousActor, type Actor, type RequestContext, type UserActor } from './actor.js';
import { auditRecord, type AuditEntry } from './audit.js';
import { AppError } from './errors.js';
import type { LoginLimiter, LoginLockout } from './login-limiter.js';
import { mutate } from './mutation.js';
import type { RefreshTokenRecord, Repositories, UnitOfWork } from './ports.js';
import type { SessionTokens } from './tokens.js';

export interface AuthServiceDeps {
  uow: UnitOfWork;
  tokens: SessionTokens;
  loginLimiter: LoginLimiter;
  /** Cost of the stored bcrypt hashes, so a login for an unknown email takes as long as a real one. */
  bcryptCost: number;
  now?: () => Date;
}

/** What a login or a refresh hands out. */
export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  /** Seconds until the access token expires. */
  expiresIn: number;
}

export interface LoginInput {
  /** Needed only when the email and password match accounts in several organizations. */
  orgId?: string | undefined;
  email: string;
  password: string;
  /** The client's address, which the failed-login limit counts by. */
  ip: string;
  /** Where the attempt came from, for its audit rows. */
  request?: RequestContext | undefined;
}

/**
 * What happened to a user's sign-in, as `details.event` of the audit row. Each is recorded as a
 * `state_change` of the user (entity `user`, id of the user), so one filter shows an account's whole
 * sign-in history. They are audit rows only, with no outbox event: they are security records for the
 * organization's auditors, not business facts for webhooks and the event stream (a sign-in and every
 * refresh there would flood subscribers and hand integrators their users' addresses).
 */
export type SignInEvent =
  'signed_in' | 'sign_in_failed' | 'sign_in_locked' | 'signed_out' | 'refresh_token_reused';

const signInAudit = (
  user: Pick<User, 'orgId' | 'id'>,
  event: SignInEvent,
  extra: Record<string, unknown>,
): AuditEntry => ({
  orgId: user.orgId,
  entityType: 'user',
  entityId: user.id,
  action: 'state_change',
  extra: { event, ...extra },
});

const userActor = (user: User): UserActor => ({
  kind: 'user',
  userId: user.id,
  orgId: user.orgId,
  role: user.role,
  scopes: [],
});

/** The same answer for an unknown email and a wrong password, so neither reveals the other. */
const invalidCredentials = (): AppError =>
  AppError.unauthenticated('invalid email or password', 'INVALID_CREDENTIALS');

const invalidRefreshToken = (): AppError =>
  AppError.unauthenticated(
    'the refresh token is invalid, expired or revoked; sign in again',
    'INVALID_REFRESH_TOKEN',
  );

const refreshTokenReused = (): AppError =>
  AppError.unauthenticated(
    'the refresh token was already used, so every token of that sign-in has been revoked; sign in again',
    'REFRESH_TOKEN_REUSED',
  );

/** Another request rotated the same refresh token first. */
class RotationLost extends Error {}

/**
 * Sign-in and sessions: login with the failed-attempt limit, rotating refresh tokens with reuse
 * detection (a replayed token revokes its whole family), logout and the current user.
 */
export class AuthService {
  private readonly now: () => Date;

  constructor(private readonly deps: AuthServiceDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /**
   * Checks the password against the live user with that email in `orgId`, or in every org when
   * it is absent: exactly one match signs in, several ask for `org_id`, none is the same 401 as a
   * wrong password. Only failures count towards the limit.
   */
  async login(input: LoginInput): Promise<TokenPair> {
    const { uow, loginLimiter } = this.deps;
    const email = normalizeEmail(input.email);
    await loginLimiter.check(input.ip, email);
    const candidates = await uow.repos.users.findCredentials(email, input.orgId);
    const [user, ...others] = await this.withPassword(candidates, input.password);
    if (!user) {
      const lockouts = await loginLimiter.recordFailure(input.ip, email);
      await this.auditFailure(candidates, lockouts, input.request);
      throw invalidCredentials();
    }
    if (others.length > 0) {
      // The password opened every one of these accounts, so naming their organizations tells the
      // caller nothing they could not learn by signing in to each: it lets a person pick one.
      const choices = await Promise.all(
        [user, ...others].map(async (account) => ({
          field: 'body.org_id',
          message: 'is required for this account: one of the organizations it belongs to',
          org_id: account.orgId,
          name: (await uow.repos.organizations.findById(account.orgId))?.name ?? account.orgId,
        })),
      );
      throw AppError.validation(
        'this email and password match accounts in several organizations; give org_id to choose one',
        choices.sort((a, b) => a.name.localeCompare(b.name)),
        'ORG_ID_REQUIRED',
      );
    }
    await loginLimiter.recordSuccess(input.ip, email);
    const familyId = randomUUID();
    const session = await mutate(uow, { actor: userActor(user), request: input.request }, async (repos) => {
      await repos.users.recordLogin(user.orgId, user.id);
      return {
        result: await this.startSession(repos, user, familyId),
        audit: signInAudit(user, 'signed_in', { session_id: familyId, method: 'password' }),
      };
    });
    return session.pair;
  }

  /**
   * Exchanges a refresh token for a new pair carrying the user's current role. The old token is
   * spent; presenting a spent token again is a reuse and revokes every token of its family.
   */
  async refresh(refreshToken: string, request?: RequestContext): Promise<TokenPair> {
    const { uow, tokens } = this.deps;
    try {
      await tokens.verifyRefreshToken(refreshToken);
    } catch {
      throw invalidRefreshToken();
    }
    const record = await uow.repos.refreshTokens.findByHash(hashToken(refreshToken));
    if (!record || record.revokedAt !== null || record.expiresAt <= this.now()) throw invalidRefreshToken();
    if (record.usedAt !== null) return this.rejectReuse(record, request);

    const user = await this.liveUser(record.orgId, record.userId);
    if (!user) {
      await uow.repos.refreshTokens.revokeFamily(record.familyId);
      throw invalidRefreshToken();
    }
    try {
      const session = await uow.transaction(async (repos) => {
        // The new row goes in first: the old one's replaced_by references it.
        const next = await this.startSession(repos, user, record.familyId);
        if (!(await repos.refreshTokens.markUsed(record.id, next.refreshTokenId))) throw new RotationLost();
        return next;
      });
      return session.pair;
    } catch (error) {
      // Two presentations of one token cannot be told apart from a thief racing its owner.
      if (error instanceof RotationLost) return this.rejectReuse(record, request);
      throw error;
    }
  }

  /**
   * Revokes the token's family (this device's session), recorded as the user signing out. Unknown
   * or already revoked tokens are fine too and record nothing.
   */
  async logout(refreshToken: string, request?: RequestContext): Promise<void> {
    const { uow } = this.deps;
    const record = await uow.repos.refreshTokens.findByHash(hashToken(refreshToken));
    // Revoking a family revokes each of its tokens, this one included: revoked means signed out already.
    if (!record || record.revokedAt !== null) return;
    const user = await this.liveUser(record.orgId, record.userId);
    // Holding the refresh token is what signs out; once the user is gone, nobody we can name does.
    const actor: Actor = user ? userActor(user) : anonymousActor;
    await mutate(uow, { actor, request }, async (repos) => {
      await repos.refreshTokens.revokeFamily(record.familyId);
      return { result: undefined, audit: sessionAudit(record, 'signed_out') };
    });
  }

  /** The signed-in user's own account, while it and its organization are live. */
  async me(actor: UserActor): Promise<User> {
    const user = await this.liveUser(actor.orgId, actor.userId);
    if (!user) throw AppError.notFound('user');
    return user;
  }

  /** The candidates whose password matches; spends one bcrypt comparison even when there are none. */
  private async withPassword(candidates: UserCredentials[], password: string): Promise<User[]> {
    if (candidates.length === 0) {
      await verifyAgainstNothing(password, this.deps.bcryptCost);
      return [];
    }
    const verdicts = await Promise.all(candidates.map((c) => verifyPassword(password, c.passwordHash)));
    return candidates.filter((_, index) => verdicts[index]);
  }

  /**
   * Records a failed login in the organization of every account the attempt was aimed at, and the
   * lockout it started, if any, of that email. Nothing is recorded for an unknown email (no organization
   * owns it), but the transaction runs either way, so the answer takes as long and reveals nothing. A
   * lockout of the address alone concerns no account and is not recorded either.
   */
  private async auditFailure(
    candidates: UserCredentials[],
    lockouts: LoginLockout[],
    request: RequestContext | undefined,
  ): Promise<void> {
    const locks = lockouts.filter((lockout) => lockout.scope !== 'address');
    const entries = candidates.flatMap((user) => [
      signInAudit(user, 'sign_in_failed', {}),
      ...locks.map((lockout) =>
        signInAudit(user, 'sign_in_locked', {
          scope: lockout.scope,
          retry_after_seconds: lockout.retryAfterSeconds,
        }),
      ),
    ]);
    const records = entries.map((entry) => auditRecord(entry, anonymousActor, request));
    await this.deps.uow.transaction((repos) => repos.changeLog.record(records, []));
  }

  private async liveUser(orgId: string, userId: string): Promise<User | undefined> {
    const { users, organizations } = this.deps.uow.repos;
    const [user, org] = await Promise.all([users.findById(orgId, userId), organizations.findById(orgId)]);
    return org ? user : undefined;
  }

  /** Signs a token pair and records the refresh token (by hash only) in `familyId`. */
  private async startSession(
    repos: Repositories,
    user: User,
    familyId: string,
  ): Promise<{ pair: TokenPair; refreshTokenId: string }> {
    const { tokens } = this.deps;
    const refreshTokenId = randomUUID();
    const [accessToken, refreshToken] = await Promise.all([
      tokens.signAccessToken({ sub: user.id, org_id: user.orgId, role: user.role, scopes: [] }),
      tokens.signRefreshToken({ sub: user.id, org_id: user.orgId, family_id: familyId, jti: refreshTokenId }),
    ]);
    await repos.refreshTokens.insert({
      id: refreshTokenId,
      orgId: user.orgId,
      userId: user.id,
      familyId,
      tokenHash: hashToken(refreshToken),
      expiresAt: new Date(this.now().getTime() + tokens.refreshTtlSeconds * 1000),
    });
    return { pair: { accessToken, refreshToken, expiresIn: tokens.accessTtlSeconds }, refreshTokenId };
  }

  /** Revokes the family of a token presented again, recorded with the presenter's address. */
  private async rejectReuse(record: RefreshTokenRecord, request: RequestContext | undefined): Promise<never> {
    await mutate(this.deps.uow, { actor: anonymousActor, request }, async (repos) => {
      await repos.refreshTokens.revokeFamily(record.familyId);
      return { result: undefined, audit: sessionAudit(record, 'refresh_token_reused') };
    });
    throw refreshTokenReused();
  }
}

/** A sign-in event of the session (token family) a refresh token belongs to. */
const sessionAudit = (record: RefreshTokenRecord, event: SignInEvent): AuditEntry =>
  signInAudit({ orgId: record.orgId, id: record.userId }, event, { session_id: record.familyId });
