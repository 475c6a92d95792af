import { Box, Group, Paper, Text } from '@mantine/core';
import { useElementSize } from '@mantine/hooks';
import { memo, useCallback, useEffect, useMemo, useState, type CSSProperties, type MouseEvent } from 'react';
import { useNavigate } from 'react-router';
import {
  PRIORITY_LABEL,
  PRIORITY_STYLE,
  STATE_LABEL,
  columnsOf,
  formatWhen,
  isActive,
  taskLabel,
  type PlacedTask,
  type Row,
  type ViewRange,
} from './model';
import type { Dependency, Task } from './queries';
import classes from './Timeline.module.css';

const LABEL_WIDTH = 112;
const LANE = 42;
const BAR = 24;
/** A bar narrower than this (px) shows its label as a caption under it. */
const INSIDE_LABEL_MIN = 150;
const PAD = 6;
const HEADER = 40;
/** Below this width (px) the timeline scrolls sideways rather than squeeze its columns. */
const MIN_TRACK: Record<ViewRange['kind'], number> = { day: 720, week: 620, month: 900 };

/** The time now, updated every minute: where the red "now" line stands. */
function useNow(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 60_000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

const rowHeight = (row: Row) => row.lanes * LANE + PAD;

const DEPENDENCY_LABEL: Record<string, string> = {
  finish_to_start: 'finish-to-start',
  start_to_start: 'start-to-start',
  finish_to_finish: 'finish-to-finish',
};

function barStyle(task: Task): CSSProperties {
  const look = PRIORITY_STYLE[task.priority];
  switch (task.state) {
    case 'in_progress':
      return {
        background: `repeating-linear-gradient(135deg, ${look.bg} 0 8px, ${look.stripe} 8px 16px)`,
        color: look.fg,
        boxShadow: `inset 0 0 0 2px ${look.fg === '#fff' ? 'rgba(255,255,255,.6)' : 'rgba(0,0,0,.45)'}`,
      };
    case 'completed':
      return {
        background: 'var(--mantine-color-gray-0)',
        color: 'var(--mantine-color-gray-9)',
        border: `1px solid ${look.accent}`,
        borderLeftWidth: 4,
      };
    case 'cancelled':
      return {
        background: 'var(--mantine-color-gray-0)',
        color: 'var(--mantine-color-gray-8)',
        border: '1px dashed var(--mantine-color-gray-6)',
        textDecoration: 'line-through',
      };
    default:
      return { background: look.bg, color: look.fg };
  }
}

const STATE_MARK: Record<Task['state'], string> = {
  scheduled: '',
  in_progress: '▶ ',
  completed: '✓ ',
  cancelled: '✕ ',
};

interface BarProps {
  placed: PlacedTask;
  tail: string;
  top: number;
  trackWidth: number;
  highlighted: boolean;
  canEdit: boolean;
}

/** One task: a link to its page; for planners, a button to edit it. Plain elements: thousands render at once. */
const Bar = memo(function Bar({ placed, tail, top, trackWidth, highlighted, canEdit }: BarProps) {
  const { task } = placed;
  const label = taskLabel(task);
  const px = placed.width * trackWidth;
  const description = `${tail}: ${label}. ${PRIORITY_LABEL[task.priority]}, ${STATE_LABEL[task.state]}, ${formatWhen(task.start_time)} to ${formatWhen(task.end_time)}`;
  const editable = canEdit && isActive(task) && px >= 44;
  const inside = px >= INSIDE_LABEL_MIN;
  return (
    <>
      <a
        href={`/tasks/${task.id}`}
        data-task-id={task.id}
        data-testid="task-bar"
        aria-label={description}
        title={description}
        className={classes.bar}
        data-editable={editable || undefined}
        data-highlighted={highlighted || undefined}
        style={{
          top,
          left: `${placed.left * 100}%`,
          width: `max(${placed.width * 100}%, 6px)`,
          ...barStyle(task),
        }}
      >
        {inside ? `${STATE_MARK[task.state]}${label}` : STATE_MARK[task.state].trim()}
      </a>
      {!inside && (
        <span
          aria-hidden
          className={classes.caption}
          style={{
            top: top + BAR + 1,
            left: `${placed.left * 100}%`,
            width: `max(${placed.room * 100}% - 4px, ${placed.width * 100}%)`,
          }}
        >
          {task.state === 'cancelled' ? <s>{label}</s> : label}
        </span>
      )}
      {editable && (
        <button
          type="button"
          data-edit-task-id={task.id}
          aria-label={`Edit or reschedule ${tail}: ${label}`}
          title="Edit or reschedule"
          className={classes.edit}
          style={{ top: top + 2, left: `calc(${(placed.left + placed.width) * 100}% - 22px)` }}
        >
          ⋯
        </button>
      )}
    </>
  );
});

interface TimelineProps {
  rows: Row[];
  range: ViewRange;
  dependencies: Dependency[];
  highlight: string | null;
  /** Tasks just moved by a reschedule: outlined so the eye finds them. */
  moved: string[];
  canEdit: boolean;
  onEdit: (taskId: string) => void;
}

/**
 * The schedule: one row per aircraft, task bars placed by their windows, and the dependencies as
 * arrows in one SVG layer over the bars.
 */
export function Timeline({ rows, range, dependencies, highlight, moved, canEdit, onEdit }: TimelineProps) {
  const marked = useMemo(() => new Set([...moved, ...(highlight ? [highlight] : [])]), [moved, highlight]);
  const navigate = useNavigate();
  const { ref, width } = useElementSize();
  const trackWidth = Math.max(width - LABEL_WIDTH, 0);
  const columns = useMemo(() => columnsOf(range), [range]);

  // Where every bar is, for the arrows; and each row's top.
  const { total, centres } = useMemo(() => {
    const centres = new Map<string, { x1: number; x2: number; y: number }>();
    let y = 0;
    for (const row of rows) {
      for (const bar of row.bars)
        centres.set(bar.task.id, {
          x1: bar.left * trackWidth,
          x2: (bar.left + bar.width) * trackWidth,
          y: y + PAD + bar.lane * LANE + BAR / 2,
        });
      y += rowHeight(row);
    }
    return { total: y, centres };
  }, [rows, trackWidth]);

  const arrows = useMemo(
    () =>
      dependencies.flatMap((dependency) => {
        const from = centres.get(dependency.predecessor_id);
        const to = centres.get(dependency.successor_id);
        if (!from || !to) return [];
        const startX = dependency.type === 'start_to_start' ? from.x1 : from.x2;
        const endX = dependency.type === 'finish_to_finish' ? to.x2 : to.x1;
        const bend = Math.max(24, Math.abs(endX - startX) / 2);
        const d =
          dependency.type === 'finish_to_finish'
            ? `M${startX},${from.y} C${startX + bend},${from.y} ${endX + bend},${to.y} ${endX + 2},${to.y}`
            : `M${startX},${from.y} C${startX + bend},${from.y} ${endX - bend},${to.y} ${endX - 2},${to.y}`;
        const violated = dependency.status === 'schedule_violated';
        return [{ id: dependency.id, d, violated, dependency }];
      }),
    [dependencies, centres],
  );

  // One handler for every bar: a click opens the task (a plain link keeps open-in-new-tab).
  const onClick = useCallback(
    (event: MouseEvent<HTMLDivElement>) => {
      const target = event.target as HTMLElement;
      const edit = target.closest<HTMLElement>('[data-edit-task-id]');
      if (edit) {
        event.preventDefault();
        onEdit(edit.dataset.editTaskId!);
        return;
      }
      const bar = target.closest<HTMLElement>('[data-task-id]');
      if (!bar || event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
      event.preventDefault();
      void navigate(`/tasks/${bar.dataset.taskId}`);
    },
    [navigate, onEdit],
  );

  const now = useNow();
  const nowFraction =
    now >= range.start.getTime() && now < range.end.getTime()
      ? (now - range.start.getTime()) / (range.end.getTime() - range.start.getTime())
      : null;

  // The bars re-render only when the rows, the width or the marks change — not when arrows arrive.
  const rowsView = useMemo(
    () =>
      rows.map((row) => (
        <div
          key={row.aircraftId}
          data-testid="timeline-row"
          data-tail={row.tail}
          className={classes.row}
          style={{ height: rowHeight(row) }}
        >
          <div className={classes.label}>
            <span className={classes.tail}>{row.tail}</span>
            <span className={classes.model}>{row.model}</span>
          </div>
          <div className={classes.track} style={{ backgroundSize: `${100 / columns.length}% 100%` }}>
            {row.bars.map((placed) => (
              <Bar
                key={placed.task.id}
                placed={placed}
                tail={row.tail}
                top={PAD + placed.lane * LANE}
                trackWidth={trackWidth}
                highlighted={marked.has(placed.task.id)}
                canEdit={canEdit}
              />
            ))}
          </div>
        </div>
      )),
    [rows, trackWidth, marked, canEdit, columns.length],
  );

  return (
    <Paper withBorder radius="md" style={{ overflowX: 'auto' }}>
      <Box
        ref={ref}
        style={{
          minWidth: LABEL_WIDTH + MIN_TRACK[range.kind],
          position: 'relative',
          '--label-width': `${LABEL_WIDTH}px`,
          '--bar-height': `${BAR}px`,
        }}
        onClick={onClick}
        data-testid="timeline"
      >
        <div
          style={{
            display: 'flex',
            height: HEADER,
            borderBottom: '1px solid var(--mantine-color-gray-3)',
            position: 'sticky',
            top: 0,
          }}
        >
          <div style={{ width: LABEL_WIDTH, flex: 'none', padding: '0 8px', alignSelf: 'center' }}>
            <Text size="xs" fw={700}>
              Aircraft
            </Text>
          </div>
          {columns.map((column) => (
            <div
              key={column.key}
              style={{
                flex: 1,
                minWidth: 0,
                borderLeft: '1px solid var(--mantine-color-gray-3)',
                background: column.weekend ? 'var(--mantine-color-gray-0)' : undefined,
                textAlign: 'center',
                padding: '4px 0',
                overflow: 'hidden',
              }}
            >
              <Text size="xs" fw={600} lh={1.2} truncate>
                {column.label}
              </Text>
              {column.sub && (
                <Text size="xs" c="dimmed" lh={1.2}>
                  {column.sub}
                </Text>
              )}
            </div>
          ))}
        </div>
        <div style={{ position: 'relative' }}>
          {rowsView}
          {nowFraction !== null && (
            <div
              aria-hidden
              className={classes.now}
              style={{ left: `calc(${LABEL_WIDTH}px + ${nowFraction} * (100% - ${LABEL_WIDTH}px))` }}
            />
          )}
          {trackWidth > 0 && (
            <svg
              width={trackWidth}
              height={total}
              role="img"
              aria-label={`${arrows.length} dependency arrows`}
              style={{
                position: 'absolute',
                left: LABEL_WIDTH,
                top: 0,
                pointerEvents: 'none',
                zIndex: 2,
                overflow: 'visible',
              }}
            >
              <defs>
                <marker
                  id="dep-arrow"
                  viewBox="0 0 10 10"
                  refX="9"
                  refY="5"
                  markerWidth="7"
                  markerHeight="7"
                  orient="auto-start-reverse"
                >
                  <path d="M0,0 L10,5 L0,10 z" fill="var(--mantine-color-dark-6)" />
                </marker>
                <marker
                  id="dep-arrow-bad"
                  viewBox="0 0 10 10"
                  refX="9"
                  refY="5"
                  markerWidth="7"
                  markerHeight="7"
                  orient="auto-start-reverse"
                >
                  <path d="M0,0 L10,5 L0,10 z" fill="var(--mantine-color-red-8)" />
                </marker>
              </defs>
              {arrows.map((arrow) => (
                <path
                  key={arrow.id}
                  d={arrow.d}
                  data-testid="dependency-arrow"
                  fill="none"
                  stroke={arrow.violated ? 'var(--mantine-color-red-8)' : 'var(--mantine-color-dark-6)'}
                  strokeWidth={1.75}
                  strokeDasharray={arrow.violated ? '5 3' : undefined}
                  markerEnd={`url(#${arrow.violated ? 'dep-arrow-bad' : 'dep-arrow'})`}
                >
                  <title>
                    {`${DEPENDENCY_LABEL[arrow.dependency.type] ?? arrow.dependency.type}${
                      arrow.dependency.lag_minutes ? `, ${arrow.dependency.lag_minutes} min lag` : ''
                    } (${arrow.dependency.status.replace(/_/g, ' ')})`}
                  </title>
                </path>
              ))}
            </svg>
          )}
        </div>
      </Box>
    </Paper>
  );
}

/** What the colours, marks and arrows mean. */
export function Legend() {
  const swatch = (style: CSSProperties, label: string) => (
    <Group gap={4} wrap="nowrap" key={label}>
      <span
        aria-hidden
        style={{ width: 18, height: 12, borderRadius: 3, display: 'inline-block', ...style }}
      />
      <Text size="xs">{label}</Text>
    </Group>
  );
  return (
    <Group gap="md" mb="xs" wrap="wrap" aria-label="Legend">
      {(Object.keys(PRIORITY_STYLE) as (keyof typeof PRIORITY_STYLE)[]).map((p) =>
        swatch({ background: PRIORITY_STYLE[p].bg }, PRIORITY_LABEL[p]),
      )}
      {swatch(
        {
          background: `repeating-linear-gradient(135deg, ${PRIORITY_STYLE.routine.bg} 0 4px, ${PRIORITY_STYLE.routine.stripe} 4px 8px)`,
        },
        '▶ In progress',
      )}
      {swatch(
        {
          background: 'var(--mantine-color-gray-0)',
          border: `1px solid ${PRIORITY_STYLE.routine.accent}`,
          borderLeftWidth: 4,
        },
        '✓ Completed',
      )}
      {swatch(
        { background: 'var(--mantine-color-gray-0)', border: '1px dashed var(--mantine-color-gray-6)' },
        '✕ Cancelled',
      )}
      <Group gap={4} wrap="nowrap">
        <svg width="24" height="10" aria-hidden>
          <path d="M0,5 L20,5" stroke="var(--mantine-color-dark-6)" strokeWidth="1.75" />
          <path d="M16,1 L22,5 L16,9 z" fill="var(--mantine-color-dark-6)" />
        </svg>
        <Text size="xs">Dependency (red, dashed: not met by the plan)</Text>
      </Group>
    </Group>
  );
}
