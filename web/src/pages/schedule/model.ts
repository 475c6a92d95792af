import dayjs from 'dayjs';
import type { Task } from './queries';

export type ViewKind = 'day' | 'week' | 'month';

export const VIEW_DAYS: Record<ViewKind, number> = { day: 1, week: 7, month: 28 };
export const VIEW_LABEL: Record<ViewKind, string> = { day: 'Day', week: 'Week', month: '4 weeks' };

/** The range a view shows: `[start, end)` from local midnight of `from`. */
export interface ViewRange {
  kind: ViewKind;
  start: Date;
  end: Date;
}

export const VIEWS = Object.keys(VIEW_DAYS) as ViewKind[];
const isView = (value: string | null): value is ViewKind => VIEWS.includes(value as ViewKind);

/** The range the address asks for (`?view=day|week|month&from=YYYY-MM-DD`; a week from today by default). */
export function rangeOfAddress(view: string | null, from: string | null): ViewRange {
  return rangeOf(isView(view) ? view : 'week', from);
}

export function rangeOf(kind: ViewKind, from: string | null): ViewRange {
  const parsed = from ? dayjs(from) : dayjs();
  const start = (parsed.isValid() ? parsed : dayjs()).startOf('day');
  return { kind, start: start.toDate(), end: start.add(VIEW_DAYS[kind], 'day').toDate() };
}

/** `YYYY-MM-DD` of a local date: how the range is kept in the address. */
export const dayParam = (date: Date): string => dayjs(date).format('YYYY-MM-DD');

export const PRIORITIES = ['routine', 'urgent', 'aog', 'critical'] as const;
export type Priority = (typeof PRIORITIES)[number];
export const PRIORITY_LABEL: Record<Priority, string> = {
  routine: 'Routine',
  urgent: 'Urgent',
  aog: 'AOG',
  critical: 'Critical',
};
/**
 * How a priority looks: a solid bar with text at WCAG AA contrast (orange has no shade that white
 * text passes on, so urgent bars are light with dark text). `accent` is the border of a finished bar.
 */
export const PRIORITY_STYLE: Record<Priority, { bg: string; stripe: string; fg: string; accent: string }> = {
  routine: {
    bg: 'var(--mantine-color-blue-8)',
    stripe: 'var(--mantine-color-blue-9)',
    fg: '#fff',
    accent: 'var(--mantine-color-blue-8)',
  },
  urgent: {
    bg: 'var(--mantine-color-orange-3)',
    stripe: 'var(--mantine-color-orange-4)',
    fg: '#1a1b1e',
    accent: 'var(--mantine-color-orange-7)',
  },
  aog: {
    bg: 'var(--mantine-color-red-9)',
    stripe: '#a51d1d',
    fg: '#fff',
    accent: 'var(--mantine-color-red-9)',
  },
  critical: {
    bg: 'var(--mantine-color-grape-9)',
    stripe: '#6b2380',
    fg: '#fff',
    accent: 'var(--mantine-color-grape-9)',
  },
};

export const TASK_TYPES = ['inspection', 'repair', 'overhaul'] as const;
export type TaskType = (typeof TASK_TYPES)[number];
export const TYPE_LABEL: Record<TaskType, string> = {
  inspection: 'Inspection',
  repair: 'Repair',
  overhaul: 'Overhaul',
};

export const STATE_LABEL = {
  scheduled: 'Scheduled',
  in_progress: 'In progress',
  completed: 'Completed',
  cancelled: 'Cancelled',
} as const;

/** Whether a task may still be edited or moved. */
export const isActive = (task: Pick<Task, 'state'>): boolean =>
  task.state === 'scheduled' || task.state === 'in_progress';

/** The notes, without the demo prefix, cut short for a bar. */
export function shortNotes(notes: string | null, max = 48): string {
  if (!notes) return '';
  const text = notes.replace(/^Demo( history)?:\s*/, '');
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** What a bar and a list call a task: its type and the start of its notes. */
export function taskLabel(task: Pick<Task, 'type' | 'notes'>): string {
  const notes = shortNotes(task.notes);
  return notes ? `${TYPE_LABEL[task.type]} · ${notes}` : TYPE_LABEL[task.type];
}

const when = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
export const formatWhen = (iso: string | Date): string => when.format(new Date(iso));

const dateOnly = new Intl.DateTimeFormat(undefined, {
  weekday: 'short',
  day: 'numeric',
  month: 'short',
  year: 'numeric',
});
/** The days a range covers, in words: "Fri, 25 Dec 2026 – Thu, 31 Dec 2026". */
export function describeRange(range: ViewRange): string {
  const last = new Date(range.end.getTime() - 1);
  return range.kind === 'day'
    ? dateOnly.format(range.start)
    : `${dateOnly.format(range.start)} – ${dateOnly.format(last)}`;
}

/** One bar in the timeline: its row lane and horizontal position as fractions of the range. */
export interface PlacedTask {
  task: Task;
  lane: number;
  left: number;
  width: number;
  /** Free space after the bar's start in its lane, up to the next bar (fraction of the range): room for a caption. */
  room: number;
}

export interface Row {
  aircraftId: string;
  tail: string;
  model: string;
  lanes: number;
  bars: PlacedTask[];
}

/**
 * Places the tasks of each aircraft in lanes so that no two bars of a row overlap (active tasks
 * never do; completed and cancelled ones may share a window with them). O(n log n) per row.
 */
export function layoutRows(
  aircraft: readonly { id: string; tail_number: string; model: string }[],
  tasks: readonly Task[],
  range: ViewRange,
): Row[] {
  const from = range.start.getTime();
  const span = range.end.getTime() - from;
  const byAircraft = new Map<string, Task[]>();
  for (const task of tasks) {
    const list = byAircraft.get(task.aircraft_id);
    if (list) list.push(task);
    else byAircraft.set(task.aircraft_id, [task]);
  }
  return aircraft.map((a) => {
    const list = (byAircraft.get(a.id) ?? [])
      .slice()
      .sort((x, y) => x.start_time.localeCompare(y.start_time));
    const laneEnds: number[] = [];
    const bars: PlacedTask[] = [];
    for (const task of list) {
      const start = Date.parse(task.start_time);
      const end = Date.parse(task.end_time);
      let lane = laneEnds.findIndex((laneEnd) => laneEnd <= start);
      if (lane === -1) {
        lane = laneEnds.length;
        laneEnds.push(end);
      } else laneEnds[lane] = end;
      const left = Math.max(0, (start - from) / span);
      const right = Math.min(1, (end - from) / span);
      bars.push({ task, lane, left, width: Math.max(right - left, 0), room: 1 - left });
    }
    // The caption of a short bar may run on under the lane until the next bar of that lane.
    const lastInLane = new Map<number, PlacedTask>();
    for (const bar of bars) {
      const previous = lastInLane.get(bar.lane);
      if (previous) previous.room = Math.max(bar.left - previous.left, previous.width);
      lastInLane.set(bar.lane, bar);
    }
    return {
      aircraftId: a.id,
      tail: a.tail_number,
      model: a.model,
      lanes: Math.max(1, laneEnds.length),
      bars,
    };
  });
}

/** The column headings of a range: hours for a day, days otherwise. */
export function columnsOf(
  range: ViewRange,
): { key: string; label: string; sub?: string; weekend: boolean }[] {
  const start = dayjs(range.start);
  if (range.kind === 'day')
    return Array.from({ length: 24 }, (_, h) => ({
      key: String(h),
      label: start.add(h, 'hour').format('HH'),
      weekend: false,
    }));
  return Array.from({ length: VIEW_DAYS[range.kind] }, (_, d) => {
    const day = start.add(d, 'day');
    return {
      key: day.format('YYYY-MM-DD'),
      label: range.kind === 'week' ? day.format('ddd D MMM') : day.format('D'),
      sub: range.kind === 'month' ? day.format('dd') : undefined,
      weekend: day.day() === 0 || day.day() === 6,
    };
  });
}
