import { Button, Group, SegmentedControl, Skeleton, Text } from '@mantine/core';
import { DatePickerInput } from '@mantine/dates';
import { IconCalendarPlus, IconChevronLeft, IconChevronRight, IconClockEdit } from '@tabler/icons-react';
import dayjs from 'dayjs';
import { useCallback, useMemo, useState } from 'react';
import { useSearchParams } from 'react-router';
import { useCan } from '../app/access';
import { EmptyState } from '../components/EmptyState';
import { ErrorNotice } from '../components/ErrorNotice';
import { PageHeader } from '../components/PageHeader';
import { ConflictBanner } from './schedule/ConflictBanner';
import {
  VIEW_DAYS,
  VIEW_LABEL,
  dayParam,
  describeRange,
  layoutRows,
  rangeOfAddress,
  VIEWS,
  type ViewKind,
} from './schedule/model';
import { useConflicts, useTimeline } from './schedule/queries';
import { RescheduleModal } from './schedule/RescheduleModal';
import { TaskFormModal } from './schedule/TaskFormModal';
import { Legend, Timeline } from './schedule/Timeline';

type Dialog =
  { kind: 'create' } | { kind: 'edit'; taskId: string } | { kind: 'reschedule'; taskId: string | null };

export default function SchedulePage() {
  const can = useCan();
  const canCreate = can('maintenance_tasks', 'create');
  const canEdit = can('maintenance_tasks', 'update');
  const canReschedule = can('task_schedule', 'reschedule');

  // The range lives in the address: a link (or a conflict) opens the same view.
  const [params, setParams] = useSearchParams();
  const viewParam = params.get('view');
  const fromParam = params.get('from');
  const range = useMemo(() => rangeOfAddress(viewParam, fromParam), [viewParam, fromParam]);
  const view = range.kind;
  const highlightParam = params.get('task');
  const [moved, setMoved] = useState<string[]>([]);
  const go = (next: { view?: ViewKind; from?: Date }) =>
    setParams(
      (current) => {
        const copy = new URLSearchParams(current);
        if (next.view) copy.set('view', next.view);
        if (next.from) copy.set('from', dayParam(next.from));
        return copy;
      },
      { replace: false },
    );
  const step = (direction: 1 | -1) =>
    go({
      from: dayjs(range.start)
        .add(direction * VIEW_DAYS[view], 'day')
        .toDate(),
    });

  const schedule = useTimeline(range);
  const conflicts = useConflicts(range);

  const aircraft = schedule.aircraft;
  const rows = useMemo(
    () => (aircraft && schedule.tasks ? layoutRows(aircraft, schedule.tasks, range) : undefined),
    [aircraft, schedule.tasks, range],
  );
  const tasksById = useMemo(() => new Map((schedule.tasks ?? []).map((t) => [t.id, t])), [schedule.tasks]);
  const tails = useMemo(() => new Map((aircraft ?? []).map((a) => [a.id, a.tail_number])), [aircraft]);

  const [dialog, setDialog] = useState<Dialog | null>(null);
  const close = useCallback(() => setDialog(null), []);
  const onEdit = useCallback((taskId: string) => setDialog({ kind: 'edit', taskId }), []);
  const editing = dialog?.kind === 'edit' ? tasksById.get(dialog.taskId) : undefined;

  const taskCount = schedule.tasks?.length ?? 0;
  return (
    <>
      <PageHeader
        title="Schedule"
        description={`${describeRange(range)} · ${taskCount} ${taskCount === 1 ? 'task' : 'tasks'}`}
        actions={
          <>
            {canReschedule && (
              <Button
                variant="default"
                leftSection={<IconClockEdit size={18} />}
                onClick={() => setDialog({ kind: 'reschedule', taskId: null })}
              >
                Reschedule…
              </Button>
            )}
            {canCreate && (
              <Button
                leftSection={<IconCalendarPlus size={18} />}
                onClick={() => setDialog({ kind: 'create' })}
              >
                Schedule a task
              </Button>
            )}
          </>
        }
      />
      <Group justify="space-between" mb="sm" wrap="wrap" gap="xs">
        <Group gap="xs" wrap="wrap">
          <Button.Group>
            <Button variant="default" onClick={() => step(-1)} leftSection={<IconChevronLeft size={16} />}>
              Previous
            </Button>
            <Button variant="default" onClick={() => go({ from: new Date() })}>
              Today
            </Button>
            <Button variant="default" onClick={() => step(1)} rightSection={<IconChevronRight size={16} />}>
              Next
            </Button>
          </Button.Group>
          <DatePickerInput
            aria-label="Go to date"
            placeholder="Go to date"
            valueFormat="DD MMM YYYY"
            value={dayParam(range.start)}
            onChange={(value) => value && go({ from: dayjs(value).toDate() })}
            w={150}
          />
        </Group>
        <SegmentedControl
          aria-label="Range"
          data={VIEWS.map((v) => ({ value: v, label: VIEW_LABEL[v] }))}
          value={view}
          onChange={(value) => go({ view: value })}
        />
      </Group>
      <ConflictBanner
        conflicts={conflicts.data}
        error={conflicts.error}
        pending={conflicts.isPending}
        tasks={tasksById}
        tails={tails}
      />
      <ErrorNotice error={schedule.error} title="The schedule could not be loaded" />
      <Legend />
      {!rows ? (
        <Skeleton h={220} radius="md" />
      ) : rows.length === 0 ? (
        <EmptyState title="No aircraft yet">
          Add one on the Fleet page: its tasks then appear here.
        </EmptyState>
      ) : (
        <>
          <Timeline
            rows={rows}
            range={range}
            dependencies={schedule.dependencies}
            highlight={highlightParam}
            moved={moved}
            canEdit={canEdit}
            onEdit={onEdit}
          />
          {taskCount === 0 && (
            <Text size="sm" c="dimmed" mt="xs">
              No tasks in this range.{canCreate ? ' Schedule one, or' : ''} look at another range with
              Previous and Next.
            </Text>
          )}
          {schedule.truncated && (
            <Text size="sm" c="dimmed" mt="xs">
              This range holds more tasks than one view shows ({taskCount} are drawn, from its start): choose
              a shorter range to see them all.
            </Text>
          )}
        </>
      )}
      {aircraft && (
        <TaskFormModal
          opened={dialog?.kind === 'create' || (dialog?.kind === 'edit' && Boolean(editing))}
          onClose={close}
          task={editing}
          aircraft={aircraft}
          defaultStart={dayjs(range.start).isBefore(dayjs()) ? dayjs().add(1, 'day').toDate() : range.start}
          onReschedule={canReschedule ? (taskId) => setDialog({ kind: 'reschedule', taskId }) : undefined}
        />
      )}
      <RescheduleModal
        opened={dialog?.kind === 'reschedule'}
        onClose={close}
        tasks={schedule.tasks ?? []}
        tails={tails}
        initialTaskId={dialog?.kind === 'reschedule' ? dialog.taskId : null}
        onMoved={setMoved}
      />
    </>
  );
}
