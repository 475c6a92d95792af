import { Badge } from '@mantine/core';
import type { AircraftStatus, TaskState } from './queries';

export const STATUS_LABEL: Record<AircraftStatus, string> = {
  operational: 'Operational',
  maintenance: 'Maintenance',
  grounded: 'Grounded',
};

// Dark shades (white text) and a light yellow (dark text): readable at badge size (axe contrast).
const STATUS_COLOR: Record<AircraftStatus, string> = {
  operational: 'teal.9',
  maintenance: 'yellow.4',
  grounded: 'red.9',
};

/** An aircraft's status as a coloured badge. */
export function StatusBadge({ status, size = 'md' }: { status: AircraftStatus; size?: 'sm' | 'md' | 'lg' }) {
  return (
    <Badge color={STATUS_COLOR[status]} variant="filled" autoContrast size={size} miw="max-content">
      {STATUS_LABEL[status]}
    </Badge>
  );
}

export const TASK_STATE_LABEL: Record<TaskState, string> = {
  scheduled: 'Scheduled',
  in_progress: 'In progress',
  completed: 'Completed',
  cancelled: 'Cancelled',
};

const TASK_STATE_COLOR: Record<TaskState, string> = {
  scheduled: 'blue.8',
  in_progress: 'orange.3',
  completed: 'teal.9',
  cancelled: 'gray.3',
};

export function TaskStateBadge({ state }: { state: TaskState }) {
  return (
    <Badge color={TASK_STATE_COLOR[state]} variant="filled" autoContrast miw="max-content">
      {TASK_STATE_LABEL[state]}
    </Badge>
  );
}

export const PRIORITY_LABEL = {
  routine: 'Routine',
  urgent: 'Urgent',
  aog: 'AOG',
  critical: 'Critical',
} as const;

/** What a task is, in a few words: its notes when it has them, else its type. */
export function taskTitle(task: { type: string; notes: string | null }): string {
  const type = task.type.charAt(0).toUpperCase() + task.type.slice(1);
  const notes = task.notes?.trim();
  return notes ? `${type}: ${notes}` : type;
}
