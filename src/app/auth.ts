import { randomUUID } from 'node:crypto';
import { verifyAgainstNothing, verifyPassword } from '../auth/passwords.js';
import { hashToken } from '../auth/tokens.js';
import { normalizeEmail, type User } from '../domain/user.js';
import type { UserActor } from './actor.js';
import { AppError } from './errors.js';
import type { LoginLimiter } from './login-limiter.js';
import type { Repositories, UnitOfWork } from './ports.js';
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
}

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
    const matches = await this.usersWithPassword(email, input.password, input.orgId);
    const [user, ...others] = matches;
    if (!user) {
      await loginLimiter.recordFailure(input.ip, email);
      throw invalidCredentials();
    }
    if (others.length > 0) {
      throw AppError.validation(
        'this email and password match accounts in several organizations; give org_id to choose one',
        [{ field: 'body.org_id', message: 'is required for this account' }],
        'ORG_ID_REQUIRED',
      );
    }
    await loginLimiter.recordSuccess(input.ip, email);
    const session = await uow.transaction(async (repos) => {
      await repos.users.recordLogin(user.orgId, user.id);
      return this.startSession(repos, user, randomUUID());
    });
    return session.pair;
  }

  /**
   * Exchanges a refresh token for a new pair carrying the user's current role. The old token is
   * spent; presenting a spent token again is a reuse and revokes every token of its family.
   */
  async refresh(refreshToken: string): Promise<TokenPair> {
    const { uow, tokens } = this.deps;
    try {
      await tokens.verifyRefreshToken(refreshToken);
    } catch {
      throw invalidRefreshToken();
    }
    const record = await uow.repos.refreshTokens.findByHash(hashToken(refreshToken));
    if (!record || record.revokedAt !== null || record.expiresAt <= this.now()) throw invalidRefreshToken();
    if (record.usedAt !== null) return this.rejectReuse(record.familyId);

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
      if (error instanceof RotationLost) return this.rejectReuse(record.familyId);
      throw error;
    }
  }

  /** Revokes the token's family (this device's session). Unknown or spent tokens are fine too. */
  async logout(refreshToken: string): Promise<void> {
    const { refreshTokens } = this.deps.uow.repos;
    const record = await refreshTokens.findByHash(hashToken(refreshToken));
    if (record) await refreshTokens.revokeFamily(record.familyId);
  }

  /** The signed-in user's own account, while it and its organization are live. */
  async me(actor: UserActor): Promise<User> {
    const user = await this.liveUser(actor.orgId, actor.userId);
    if (!user) throw AppError.notFound('user');
    return user;
  }

  /** Live users with that email whose password matches; spends one bcrypt comparison even when none exist. */
  private async usersWithPassword(email: string, password: string, orgId?: string): Promise<User[]> {
    const candidates = await this.deps.uow.repos.users.findCredentials(email, orgId);
    if (candidates.length === 0) {
      await verifyAgainstNothing(password, this.deps.bcryptCost);
      return [];
    }
    const verdicts = await Promise.all(candidates.map((c) => verifyPassword(password, c.passwordHash)));
    return candidates.filter((_, index) => verdicts[index]);
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

  private async rejectReuse(familyId: string): Promise<never> {
    await this.deps.uow.repos.refreshTokens.revokeFamily(familyId);
    throw refreshTokenReused();
  }
}
