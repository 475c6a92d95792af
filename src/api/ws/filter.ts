import type { LiveEntry } from '../../app/live-feed.js';
import { LIVE_EVENT_TYPES, type ServerMessage } from './protocol.js';

/** An event of the stream, ready to send: its organization, the message, and who among mechanics may see it. */
export interface LiveEvent {
  orgId: string;
  message: ServerMessage;
  mechanic: MechanicAudience;
}

/**
 * Which mechanic an event concerns (every other role receives the whole organization's events):
 * the one named in it, the one assigned to a task it names (looked up), or none.
 */
export type MechanicAudience =
  { kind: 'user'; userId: string | null } | { kind: 'task'; taskId: string } | { kind: 'none' };

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** Events whose `data` is the task as the API shows it (`assigned_mechanic_id` included). */
const TASK_VIEWS = new Set(['task_created', 'task_updated', 'task_deleted', 'task_state_changed']);

/** The mechanic audience of an event, from what its data carries. */
export function mechanicAudienceOf(type: string, data: Record<string, unknown>): MechanicAudience {
  if (type.startsWith('alert_')) return { kind: 'user', userId: text(data.user_id) ?? null };
  if (TASK_VIEWS.has(type) && 'assigned_mechanic_id' in data) {
    return { kind: 'user', userId: text(data.assigned_mechanic_id) ?? null };
  }
  if (type === 'program_task_generated') {
    const task = data.task as Record<string, unknown> | undefined;
    return { kind: 'user', userId: text(task?.assigned_mechanic_id) ?? null };
  }
  // A reschedule names its task; a dependency its successor (the task that waits); a compliance item its task.
  const taskId =
    type === 'task_rescheduled' || type.startsWith('compliance_')
      ? text(data.task_id)
      : type.startsWith('task_dependency_')
        ? text(data.successor_id)
        : undefined;
  return taskId ? { kind: 'task', taskId } : { kind: 'none' };
}

/**
 * The live event of a stream entry, or undefined for an entry no client receives (a type not sent
 * live, or one that is not an AMSS event).
 */
export function liveEventOf(entry: LiveEntry): LiveEvent | undefined {
  const type = entry.fields.event_type;
  const orgId = entry.fields.org_id;
  if (!type || !orgId || !LIVE_EVENT_TYPES.has(type)) return undefined;
  let payload: { occurred_at?: unknown; data?: unknown };
  try {
    payload = JSON.parse(entry.fields.payload ?? '') as typeof payload;
  } catch {
    return undefined;
  }
  const data =
    typeof payload.data === 'object' && payload.data !== null
      ? (payload.data as Record<string, unknown>)
      : {};
  return {
    orgId,
    message: { id: entry.id, type, occurred_at: text(payload.occurred_at) ?? new Date().toISOString(), data },
    mechanic: mechanicAudienceOf(type, data),
  };
}
