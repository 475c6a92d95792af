import type { AircraftStatus } from '../domain/aircraft.js';
import {
  COMPLETION_WINDOW_DAYS,
  hours,
  rate,
  SHIFT_HOURS,
  utcDay,
  utilisation,
} from '../domain/dashboard.js';
import type { TaskPriority } from '../domain/scheduling.js';
import type { TaskState, TaskType } from '../domain/task.js';
import { authorize, resolveOrgScope, type OrgScope } from './access.js';
import type { Actor } from './actor.js';
import type { UnitOfWork } from './ports.js';

// The dashboard (`GET /dashboard/metrics`): the organization's figures now, from a few aggregate
// statements run side by side (src/infra/postgres/dashboard.ts), cached per organization for a
// few seconds so that a wall of screens polling it costs one computation per period.

/** The instants every figure compares with, all derived from one clock reading. */
export interface DashboardClock {
  now: Date;
  /** Midnight (UTC) starting today, and the next one: the day utilisation and "today" cover. */
  dayStart: Date;
  dayEnd: Date;
  /** now − 30 days: completions after it count towards the on-time rate and the turnaround. */
  completedSince: Date;
}

/** Booked hours of one live mechanic on the current UTC day. */
export interface MechanicDayRow {
  mechanicId: string;
  email: string;
  /** Hours of their task windows inside today (see `DashboardRepository.figures`). */
  bookedHours: number;
  /** Whether one of their tasks is in progress now. */
  onTask: boolean;
}

/** The counts the repository reads, before rates are derived. */
export interface DashboardFigures {
  fleetByStatus: Record<AircraftStatus, number>;
  /** Live aircraft with a live scheduled or in-progress task of priority `aog`. */
  aog: number;
  tasksByState: Record<TaskState, number>;
  /** Live tasks scheduled whose start has passed, or in progress whose end has passed. */
  overdue: number;
  /** Live tasks completed in (now − 30 days, now]. */
  completed: number;
  /** Of those, completed at or before their planned end. */
  completedOnTime: number;
  /** Their average time from start (started_at, else the planned start) to completion, in hours. */
  averageTurnaroundHours: number | null;
  mechanics: MechanicDayRow[];
  /** Items on the shelf: live, in stock, unexpired. */
  partItemsInStock: number;
  /** Of those, unreserved ones expiring within 30 days. */
  partItemsExpiringSoon: number;
  /** Live definitions with stock above zero but at or below their reorder point. */
  partDefinitionsLow: number;
  /** Live definitions with no available item. */
  partDefinitionsOutOfStock: number;
  /** Units the open tasks' part requirements ask for, and how many reservations cover. */
  partUnitsRequired: number;
  partUnitsReserved: number;
  /** Unsigned compliance items of live open tasks. */
  compliancePending: number;
  /** Signed-off live compliance items. */
  complianceSigned: number;
  /** Open directive limits within the org's warning window (not yet overdue). */
  directivesDue: number;
  directivesOverdue: number;
  /** Active certifications of live people expiring within 30, 60, 90 days (cumulative), and expired. */
  certificationsExpiring: { within30: number; within60: number; within90: number };
  certificationsExpired: number;
  alertsUnresolved: number;
  alertsCritical: number;
  alertsUnacknowledged: number;
}

/** One of a mechanic's tasks on the current day. */
export interface MyTaskToday {
  id: string;
  aircraftId: string;
  tailNumber: string;
  type: TaskType;
  state: TaskState;
  priority: TaskPriority;
  startTime: Date;
  endTime: Date;
}

/** The dashboard's reads; each is scoped to one org and runs a handful of aggregate statements. */
export interface DashboardRepository {
  figures(orgId: string, clock: DashboardClock): Promise<DashboardFigures>;
  /** The mechanic's live, not cancelled tasks whose window meets the day, by start. */
  tasksOfDay(orgId: string, mechanicId: string, clock: DashboardClock): Promise<MyTaskToday[]>;
}

/** A rate in [0, 1] (4 decimals), or null when there was nothing to count. */
type Rate = number | null;

/** `GET /dashboard/metrics` (snake_case, as on the wire). */
export interface DashboardMetrics {
  org_id: string;
  computed_at: string;
  fleet: {
    total: number;
    by_status: Record<AircraftStatus, number>;
    availability_rate: Rate;
    aog: number;
  };
  tasks: {
    total: number;
    by_state: Record<TaskState, number>;
    overdue: number;
    completed_last_30_days: number;
    on_time_completion_rate: Rate;
    average_turnaround_hours: number | null;
  };
  mechanics: {
    total: number;
    on_task_now: number;
    shift_hours: number;
    average_utilisation: Rate;
    utilisation: { mechanic_id: string; email: string; booked_hours: number; utilisation: number }[];
  };
  parts: {
    items_in_stock: number;
    items_expiring_soon: number;
    definitions_low: number;
    definitions_out_of_stock: number;
    units_required: number;
    units_reserved: number;
    fill_rate: Rate;
  };
  compliance: { pending: number; signed: number };
  directives: { due: number; overdue: number };
  certifications: {
    expiring_within_30_days: number;
    expiring_within_60_days: number;
    expiring_within_90_days: number;
    expired: number;
  };
  alerts: { unresolved: number; critical: number; unacknowledged: number };
  my_tasks_today?: {
    id: string;
    aircraft_id: string;
    tail_number: string;
    type: TaskType;
    state: TaskState;
    priority: TaskPriority;
    start_time: string;
    end_time: string;
  }[];
}

/** The organization-wide part of the metrics (everything but `my_tasks_today`). */
export function dashboardView(orgId: string, computedAt: Date, f: DashboardFigures): DashboardMetrics {
  const fleetTotal = Object.values(f.fleetByStatus).reduce((a, b) => a + b, 0);
  const taskTotal = Object.values(f.tasksByState).reduce((a, b) => a + b, 0);
  const booked = f.mechanics.reduce((sum, m) => sum + m.bookedHours, 0);
  return {
    org_id: orgId,
    computed_at: computedAt.toISOString(),
    fleet: {
      total: fleetTotal,
      by_status: f.fleetByStatus,
      availability_rate: rate(f.fleetByStatus.operational, fleetTotal),
      aog: f.aog,
    },
    tasks: {
      total: taskTotal,
      by_state: f.tasksByState,
      overdue: f.overdue,
      completed_last_30_days: f.completed,
      on_time_completion_rate: rate(f.completedOnTime, f.completed),
      average_turnaround_hours: hours(f.averageTurnaroundHours),
    },
    mechanics: {
      total: f.mechanics.length,
      on_task_now: f.mechanics.filter((m) => m.onTask).length,
      shift_hours: SHIFT_HOURS,
      average_utilisation: rate(booked, f.mechanics.length * SHIFT_HOURS),
      utilisation: f.mechanics.map((m) => ({
        mechanic_id: m.mechanicId,
        email: m.email,
        booked_hours: hours(m.bookedHours) ?? 0,
        utilisation: utilisation(m.bookedHours),
      })),
    },
    parts: {
      items_in_stock: f.partItemsInStock,
      items_expiring_soon: f.partItemsExpiringSoon,
      definitions_low: f.partDefinitionsLow,
      definitions_out_of_stock: f.partDefinitionsOutOfStock,
      units_required: f.partUnitsRequired,
      units_reserved: f.partUnitsReserved,
      fill_rate: rate(f.partUnitsReserved, f.partUnitsRequired),
    },
    compliance: { pending: f.compliancePending, signed: f.complianceSigned },
    directives: { due: f.directivesDue, overdue: f.directivesOverdue },
    certifications: {
      expiring_within_30_days: f.certificationsExpiring.within30,
      expiring_within_60_days: f.certificationsExpiring.within60,
      expiring_within_90_days: f.certificationsExpiring.within90,
      expired: f.certificationsExpired,
    },
    alerts: {
      unresolved: f.alertsUnresolved,
      critical: f.alertsCritical,
      unacknowledged: f.alertsUnacknowledged,
    },
  };
}

/** The clock of a computation at `now`. */
export function dashboardClock(now: Date): DashboardClock {
  const { start, end } = utcDay(now);
  return {
    now,
    dayStart: start,
    dayEnd: end,
    completedSince: new Date(now.getTime() - COMPLETION_WINDOW_DAYS * 86_400_000),
  };
}

/** What the dashboard service needs. */
export interface DashboardServiceDeps {
  uow: UnitOfWork;
  /** How long an organization's figures are served from memory (DASHBOARD_CACHE_TTL, default 5 s; 0: never). */
  cacheTtlMs?: number;
  now?: () => Date;
}

interface CacheEntry {
  expiresAt: number;
  value: Promise<{ metrics: DashboardMetrics; clock: DashboardClock }>;
}

export const DEFAULT_DASHBOARD_CACHE_TTL_MS = 5000;

/**
 * The dashboard metrics of an organization (the actor's own, or for an admin the one named by
 * `org_id`). Every role reads them; a mechanic's answer adds their own tasks of the day, which are
 * read afresh on each request. The organization's figures are cached per process for
 * `cacheTtlMs`, and concurrent requests for one organization share one computation.
 */
export class DashboardService {
  private readonly now: () => Date;
  private readonly ttlMs: number;
  private readonly cache = new Map<string, CacheEntry>();

  constructor(private readonly deps: DashboardServiceDeps) {
    this.now = deps.now ?? (() => new Date());
    this.ttlMs = deps.cacheTtlMs ?? DEFAULT_DASHBOARD_CACHE_TTL_MS;
  }

  async metrics(actor: Actor, scope: OrgScope = {}): Promise<DashboardMetrics> {
    authorize(actor, 'dashboard', 'read');
    const repos = this.deps.uow.repos;
    const orgId = await resolveOrgScope(repos.organizations, actor, scope);
    const { metrics, clock } = await this.orgMetrics(orgId);
    if (actor.kind !== 'user' || actor.role !== 'mechanic') return metrics;
    const mine = await repos.dashboard.tasksOfDay(orgId, actor.userId, clock);
    return {
      ...metrics,
      my_tasks_today: mine.map((t) => ({
        id: t.id,
        aircraft_id: t.aircraftId,
        tail_number: t.tailNumber,
        type: t.type,
        state: t.state,
        priority: t.priority,
        start_time: t.startTime.toISOString(),
        end_time: t.endTime.toISOString(),
      })),
    };
  }

  /** Forgets the cached figures (of one organization, or all). */
  invalidate(orgId?: string): void {
    if (orgId === undefined) this.cache.clear();
    else this.cache.delete(orgId);
  }

  private orgMetrics(orgId: string): Promise<{ metrics: DashboardMetrics; clock: DashboardClock }> {
    const at = this.now().getTime();
    const cached = this.cache.get(orgId);
    if (cached && cached.expiresAt > at) return cached.value;
    const value = this.compute(orgId);
    if (this.ttlMs > 0) {
      this.cache.set(orgId, { expiresAt: at + this.ttlMs, value });
      // A failed computation is not kept: the next request tries again.
      value.catch(() => {
        if (this.cache.get(orgId)?.value === value) this.cache.delete(orgId);
      });
      this.sweep(at);
    }
    return value;
  }

  private async compute(orgId: string): Promise<{ metrics: DashboardMetrics; clock: DashboardClock }> {
    const clock = dashboardClock(this.now());
    const figures = await this.deps.uow.repos.dashboard.figures(orgId, clock);
    return { metrics: dashboardView(orgId, clock.now, figures), clock };
  }

  /** Drops expired entries once the map grows, so organizations nobody watches cost no memory. */
  private sweep(at: number): void {
    if (this.cache.size < 256) return;
    for (const [key, entry] of this.cache) if (entry.expiresAt <= at) this.cache.delete(key);
  }
}
