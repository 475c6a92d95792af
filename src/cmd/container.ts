import { AircraftService } from '../app/aircraft.js';
import { ProgramService } from '../app/programs.js';
import { ProgramGenerationService } from '../app/program-generation.js';
import { TaskService } from '../app/tasks.js';
import { PartService } from '../app/parts.js';
import { ComplianceService } from '../app/compliance.js';
import { AuditLogService } from '../app/audit-logs.js';
import { WebhookService } from '../app/webhooks.js';
import { aircraftRoutes } from '../api/rest/routes/aircraft.js';
import { programRoutes } from '../api/rest/routes/programs.js';
import { taskRoutes } from '../api/rest/routes/tasks.js';
import { partRoutes } from '../api/rest/routes/parts.js';
import { complianceRoutes } from '../api/rest/routes/compliance.js';
import { directiveComplianceRoutes } from '../api/rest/routes/directive-compliance.js';
import { DirectiveComplianceService } from '../app/directive-compliance.js';
import { auditLogRoutes } from '../api/rest/routes/audit-logs.js';
import { webhookRoutes } from '../api/rest/routes/webhooks.js';
import { importRoutes } from '../api/rest/routes/imports.js';
import { reportRoutes } from '../api/rest/routes/reports.js';
import { ReportService } from '../app/reports.js';
import { ReferenceDataService } from '../app/reference-data.js';
import { referenceDataRoutes } from '../api/rest/routes/reference-data.js';
import { RegulatoryService } from '../app/regulatory.js';
import { regulatoryRoutes } from '../api/rest/routes/regulatory.js';
import { PeopleService } from '../app/people.js';
import { peopleRoutes } from '../api/rest/routes/people.js';
import { DirectiveService } from '../app/directives.js';
import { directiveRoutes } from '../api/rest/routes/directives.js';
import { QualificationService, signerQualifications } from '../app/qualifications.js';
import { qualificationRoutes } from '../api/rest/routes/qualifications.js';
import { DueListService } from '../app/due-list.js';
import { ConflictsService } from '../app/conflicts.js';
import { TimelineService } from '../app/timeline.js';
import { DirectiveTaskService } from '../app/directive-tasks.js';
import { dueListRoutes } from '../api/rest/routes/due-list.js';
import { conflictsRoutes } from '../api/rest/routes/conflicts.js';
import { directiveTaskRoutes } from '../api/rest/routes/directive-tasks.js';
import { taskDependencyRoutes } from '../api/rest/routes/task-dependencies.js';
import { TaskDependencyService } from '../app/task-dependencies.js';
import { RescheduleService } from '../app/reschedule.js';
import { schedulingRoutes } from '../api/rest/routes/scheduling.js';
import { StockService } from '../app/stock.js';
import { stockRoutes } from '../api/rest/routes/stock.js';
import { AlertService } from '../app/alerts.js';
import { alertRoutes } from '../api/rest/routes/alerts.js';
import { DashboardService } from '../app/dashboard.js';
import { dashboardRoutes } from '../api/rest/routes/dashboard.js';
import { ImportService } from '../app/imports.js';
import type { UserActor } from '../app/actor.js';
import { LiveHub, type LiveHubOptions } from '../api/ws/hub.js';
import { liveEventRoutes } from '../api/ws/route.js';
import { InProcessEventStream } from '../infra/streams/event-stream.js';
import { InProcessLiveFeed, RedisLiveFeed } from '../infra/streams/live-feed.js';
import { RedisImportQueue, sweepOnlyImportQueue } from '../infra/streams/import-queue.js';
import type { FastifyInstance } from 'fastify';
import type { RedisClient } from '../infra/redis/client.js';
import { DEFAULT_CONSOLE_DIR } from '../api/rest/console.js';
import { buildRestApp } from '../api/rest/app.js';
import { buildGrpcServer, type GrpcServer } from '../api/grpc/server.js';
import { authRoutes } from '../api/rest/routes/auth.js';
import { healthRoutes } from '../api/rest/routes/health.js';
import { metricsRoutes } from '../api/rest/routes/metrics.js';
import { organizationRoutes } from '../api/rest/routes/organizations.js';
import { userRoutes } from '../api/rest/routes/users.js';
import { AuthService } from '../app/auth.js';
import { ApiKeyService } from '../app/api-keys.js';
import { apiKeyRoutes } from '../api/rest/routes/api-keys.js';
import { OrganizationService } from '../app/organizations.js';
import type { HealthCheck, UnitOfWork } from '../app/ports.js';
import type { Services } from '../app/services.js';
import { UserService } from '../app/users.js';
import { TokenIssuer } from '../auth/jwt.js';
import { CachingAccessTokenVerifier } from '../auth/verified-token-cache.js';
import { Authenticator } from '../app/authentication.js';
import { createRevocationChannel, type RevocationChannel } from '../infra/redis/revocations.js';
import type { JwtKeys, PublicJwtKey } from '../auth/keys.js';
import type { Config } from '../config/config.js';
import type { DatabaseHandle } from '../infra/postgres/database.js';
import { translateDatabaseError } from '../infra/postgres/errors.js';
import { PgIdempotencyStore } from '../infra/postgres/idempotency.js';
import { PgUnitOfWork } from '../infra/postgres/unit-of-work.js';
import { createLoginLimiter } from '../infra/redis/login-limiter.js';
import { InProcessLockManager, RedisLockManager } from '../infra/redis/locks.js';
import { createApiRateLimiter } from '../infra/redis/api-rate-limiter.js';
import type { ApiRateLimitsDeps } from '../app/rate-limits.js';
import type { Logger } from '../observability/logger.js';

export interface Container {
  config: Config;
  logger: Logger;
  database: DatabaseHandle;
  redis: RedisClient | undefined;
  uow: UnitOfWork;
  tokens: TokenIssuer;
  /** Authenticates REST and gRPC requests alike, against the principals' current state. */
  authenticator: Authenticator;
  /** Principal changes announced to every server process; closed by `close`. */
  revocations: RevocationChannel;
  services: Services;
  healthChecks: HealthCheck[];
  /** The per-organization API rate limits; undefined when switched off (tests only). */
  rateLimits?: ApiRateLimitsDeps;
  /** The live events hub behind `GET /api/v1/ws` (closed by `close`). */
  liveHub: LiveHub;
  /** Releases what the container opened itself (the revocation subscriber); not the database or Redis. */
  close(): Promise<void>;
}

export interface ContainerDeps {
  config: Config;
  logger: Logger;
  database: DatabaseHandle;
  /** Undefined in embedded mode: in-process adapters stand in for Redis. */
  redis: RedisClient | undefined;
  keys: JwtKeys;
  /** Retired public keys (JWT_PREVIOUS_PUBLIC_KEYS_PEM) whose tokens are accepted until they expire. */
  previousKeys?: PublicJwtKey[];
  /** Prefix for Redis keys, so parallel test runs never share counters. */
  redisKeyPrefix?: string;
  /** Test seams of the API rate limits: switched off, or a shorter policy cache (default 5 s). */
  apiRateLimits?: { enabled?: boolean; policyCacheTtlMs?: number };
  /** Test seams of the principal cache: its TTL (default 5 s) and clock. */
  principalCache?: { ttlMs?: number; now?: () => number };
  /** `amss dev` without Redis: the in-process stream its worker publishes to, which the live events follow. */
  eventStream?: InProcessEventStream;
  /** Test seams of the live events hub: its timings, and a stream name of its own instead of `amss.events`. */
  liveEvents?: Partial<LiveHubOptions> & { stream?: string };
  /** The dashboard metrics pushed to live clients every 30 s (default: the dashboard service's). */
  dashboard?: (actor: UserActor) => Promise<object>;
}

/** Wires the concrete adapters into the services: the only place that knows them all. */
export function createContainer(deps: ContainerDeps): Container {
  const { config, database, redis } = deps;
  const uow = new PgUnitOfWork(database.db);
  const tokens = new TokenIssuer({
    keys: deps.keys,
    previousKeys: deps.previousKeys,
    accessTtlSeconds: Math.round(config.jwt.accessTokenTtlMs / 1000),
    refreshTtlSeconds: Math.round(config.jwt.refreshTokenTtlMs / 1000),
  });
  const loginLimiter = createLoginLimiter({
    redis,
    keyPrefix: deps.redisKeyPrefix ?? 'amss',
    ...config.login,
    logger: deps.logger,
  });
  const keyPrefix = deps.redisKeyPrefix ?? 'amss';
  const revocations = createRevocationChannel({ redis, keyPrefix, logger: deps.logger });
  const authenticator = new Authenticator({
    verifier: new CachingAccessTokenVerifier(tokens),
    principals: {
      findUser: (orgId, userId) => uow.repos.users.findPrincipal(orgId, userId),
      useApiKey: (secretHash) => uow.repos.apiKeys.use(secretHash),
    },
    revocations,
    cacheTtlMs: deps.principalCache?.ttlMs,
    now: deps.principalCache?.now,
  });
  const compliance = new ComplianceService({ uow, loginLimiter, qualifications: signerQualifications });
  const tasks = new TaskService({ uow });
  const services: Services = {
    auth: new AuthService({ uow, tokens, loginLimiter, bcryptCost: config.bcryptCost }),
    organizations: new OrganizationService({ uow, revocations }),
    apiKeys: new ApiKeyService({ uow, revocations }),
    users: new UserService({ uow, bcryptCost: config.bcryptCost, revocations }),
    aircraft: new AircraftService({ uow }),
    programs: new ProgramService({ uow }),
    programGeneration: new ProgramGenerationService({ uow }),
    tasks,
    parts: new PartService({
      uow,
      locks: redis
        ? new RedisLockManager({ redis, keyPrefix: deps.redisKeyPrefix ?? 'amss', logger: deps.logger })
        : new InProcessLockManager(),
    }),
    compliance,
    auditLogs: new AuditLogService({ uow }),
    webhooks: new WebhookService({ uow, urlRules: { publicHttpsOnly: config.appEnv === 'production' } }),
    imports: new ImportService({
      uow,
      queue: redis ? new RedisImportQueue(redis, deps.logger) : sweepOnlyImportQueue,
    }),
    reports: new ReportService({ uow }),
    referenceData: new ReferenceDataService({ uow }),
    regulatory: new RegulatoryService({ uow, compliance }),
    people: new PeopleService({ uow }),
    qualifications: new QualificationService({ uow }),
    directives: new DirectiveService({ uow }),
    directiveCompliance: new DirectiveComplianceService({ uow, loginLimiter }),
    dueList: new DueListService({ uow }),
    conflicts: new ConflictsService({ uow }),
    directiveTasks: new DirectiveTaskService({ uow, tasks }),
    taskDependencies: new TaskDependencyService({ uow }),
    rescheduling: new RescheduleService({ uow }),
    timeline: new TimelineService({ uow }),
    stock: new StockService({ uow }),
    alerts: new AlertService({ uow }),
    dashboard: new DashboardService({ uow, cacheTtlMs: config.dashboardCacheTtlMs }),
  };
  const healthChecks: HealthCheck[] = [{ name: 'postgres', check: () => database.ping() }];
  if (redis) {
    healthChecks.push({
      name: 'redis',
      check: async () => {
        await redis.ping();
      },
    });
  }
  const rateLimits: ApiRateLimitsDeps | undefined =
    deps.apiRateLimits?.enabled === false
      ? undefined
      : {
          limiter: createApiRateLimiter({
            redis,
            keyPrefix: deps.redisKeyPrefix ?? 'amss',
            logger: deps.logger,
          }),
          orgLimitPerMin: async (orgId) => (await uow.repos.orgPolicies.get(orgId))?.apiRateLimitPerMin,
          apiKeyLimitPerMin: async (orgId) => (await uow.repos.orgPolicies.get(orgId))?.apiKeyRateLimitPerMin,
          authLimitPerMin: config.authRateLimitPerMin,
          policyCacheTtlMs: deps.apiRateLimits?.policyCacheTtlMs,
        };
  const { stream: liveStream, ...liveOptions } = deps.liveEvents ?? {};
  const liveHub = new LiveHub(
    {
      feed: redis
        ? new RedisLiveFeed({ redis, logger: deps.logger, ...(liveStream ? { stream: liveStream } : {}) })
        : new InProcessLiveFeed(deps.eventStream ?? new InProcessEventStream(), deps.logger),
      authenticator,
      verifier: tokens,
      revocations,
      taskMechanic: async (orgId, taskId) =>
        (await uow.repos.tasks.findById(orgId, taskId))?.assignedMechanicId ?? null,
      // The same figures as GET /dashboard/metrics (its per-org cache included) unless a test gives its own.
      dashboard: deps.dashboard ?? ((actor) => services.dashboard.metrics(actor)),
      logger: deps.logger,
    },
    liveOptions,
  );
  return {
    config,
    logger: deps.logger,
    database,
    redis,
    uow,
    tokens,
    authenticator,
    revocations,
    services,
    healthChecks,
    rateLimits,
    liveHub,
    close: async () => {
      await liveHub.close();
      await revocations.close();
    },
  };
}

/** The gRPC server of a container: the same services behind REST, with the same token verifier. */
export function buildGrpc(container: Container): GrpcServer {
  return buildGrpcServer({
    services: container.services,
    authenticator: container.authenticator,
    serviceVerifier: container.tokens,
    idempotency: new PgIdempotencyStore(container.database.db),
    logger: container.logger,
    translateError: translateDatabaseError,
  });
}

/** The REST server of a container. */
export function buildServer(container: Container): Promise<FastifyInstance> {
  const { config, services } = container;
  return buildRestApp({
    logger: container.logger,
    consoleDir: DEFAULT_CONSOLE_DIR,
    authenticator: container.authenticator,
    idempotency: new PgIdempotencyStore(container.database.db),
    rateLimits: container.rateLimits,
    bodyLimitBytes: config.bodyLimitBytes,
    corsAllowedOrigins: config.corsAllowedOrigins,
    trustedProxies: config.trustedProxies,
    translateError: translateDatabaseError,
    rootRoutes: [
      healthRoutes(container.healthChecks, config.appEnv !== 'production'),
      metricsRoutes(config.prometheusEnabled),
    ],
    apiRoutes: [
      authRoutes(services),
      organizationRoutes(services),
      userRoutes(services),
      apiKeyRoutes(services),
      aircraftRoutes(services),
      programRoutes(services),
      taskRoutes(services),
      partRoutes(services),
      complianceRoutes(services),
      auditLogRoutes(services),
      webhookRoutes(services),
      importRoutes(services, { storageDir: config.importStorageDir, maxBytes: config.importMaxBytes }),
      reportRoutes(services),
      referenceDataRoutes(services),
      regulatoryRoutes(services),
      peopleRoutes(services),
      qualificationRoutes(services),
      directiveRoutes(services),
      directiveComplianceRoutes(services),
      dueListRoutes(services),
      conflictsRoutes(services),
      directiveTaskRoutes(services),
      taskDependencyRoutes(services),
      schedulingRoutes(services),
      stockRoutes(services),
      alertRoutes(services),
      dashboardRoutes(services),
      liveEventRoutes(container.liveHub),
    ],
  });
}
