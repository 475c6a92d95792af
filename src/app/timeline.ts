import type { Aircraft } from '../domain/aircraft.js';
import type { DependencyType } from '../domain/scheduling.js';
import type { MaintenanceTask } from '../domain/task.js';
import { authorize, resolveOrgScope, type OrgScope } from './access.js';
import type { Actor } from './actor.js';
import { AppError } from './errors.js';
import type { UnitOfWork } from './ports.js';
import { dependencyStatus, type DependencyStatus, type TaskDependencyRecord } from './task-dependencies.js';
import { refuseEmptyRange, refuseLongRange } from './time-range.js';

// The schedule timeline: every task meeting a range of days or weeks with the dependencies among
// them, in one answer, so a planner's screen of a few thousand bars is two indexed reads rather
// than pages of tasks and one dependency request per task.

/** The longest range the timeline reads: a quarter. */
export const MAX_TIMELINE_DAYS = 92;
/** The most tasks one answer carries; `truncated` says when the range holds more. */
export const MAX_TIMELINE_TASKS = 5000;
/** The most aircraft (rows) one answer carries, by tail number. */
export const MAX_TIMELINE_AIRCRAFT = 5000;

export interface TimelineInput extends OrgScope {
  from: Date;
  to: Date;
  aircraftId?: string | undefined;
}

/** A dependency between two tasks of the timeline, with whether it holds. */
export interface TimelineDependency {
  id: string;
  predecessorId: string;
  successorId: string;
  type: DependencyType;
  lagMinutes: number;
  status: DependencyStatus;
}

export interface Timeline {
  from: Date;
  to: Date;
  /** The rows: every live aircraft of the organization (or the one asked for), by tail number. */
  aircraft: Aircraft[];
  /** Live tasks of every state whose window meets [from, to), by start then id. */
  tasks: MaintenanceTask[];
  /** The dependencies whose both tasks are in `tasks`. */
  dependencies: TimelineDependency[];
  /** Whether there are more than MAX_TIMELINE_TASKS tasks or MAX_TIMELINE_AIRCRAFT aircraft (the first ones are given). */
  truncated: boolean;
}

const timelineDependency = (record: TaskDependencyRecord): TimelineDependency => ({
  id: record.id,
  predecessorId: record.predecessor.id,
  successorId: record.successor.id,
  type: record.type,
  lagMinutes: record.lagMinutes,
  status: dependencyStatus(record),
});

export interface TimelineServiceDeps {
  uow: UnitOfWork;
}

/** `GET /scheduling/timeline`. */
export class TimelineService {
  constructor(private readonly deps: TimelineServiceDeps) {}

  async read(actor: Actor, input: TimelineInput): Promise<Timeline> {
    authorize(actor, 'scheduling_conflicts', 'read');
    const repos = this.deps.uow.repos;
    const orgId = await resolveOrgScope(repos.organizations, actor, input);
    const { from, to, aircraftId } = input;
    refuseEmptyRange({ from, to });
    refuseLongRange({ from, to }, MAX_TIMELINE_DAYS);
    const [fleet, rows] = await Promise.all([
      aircraftId === undefined
        ? repos.aircraft.list(orgId, {}, [{ field: 'tail_number', direction: 'asc' }], {
            limit: MAX_TIMELINE_AIRCRAFT,
            offset: 0,
          })
        : repos.aircraft.findById(orgId, aircraftId).then((one) => (one ? [one] : [])),
      repos.tasks.listMeeting(orgId, { from, to, aircraftId }, MAX_TIMELINE_TASKS + 1),
    ]);
    if (aircraftId !== undefined && fleet.length === 0) {
      throw AppError.notFound('aircraft', 'AIRCRAFT_NOT_FOUND');
    }
    const aircraft = fleet.slice(0, MAX_TIMELINE_AIRCRAFT);
    const tasks = rows.slice(0, MAX_TIMELINE_TASKS);
    const records = await repos.taskDependencies.listAmong(
      orgId,
      tasks.map((task) => task.id),
    );
    return {
      from,
      to,
      aircraft,
      tasks,
      dependencies: records.map(timelineDependency),
      truncated: rows.length > tasks.length || fleet.length > aircraft.length,
    };
  }
}
