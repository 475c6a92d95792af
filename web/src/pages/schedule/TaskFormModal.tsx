import { Button, Group, Modal, Select, SimpleGrid, Stack, Text, Textarea } from '@mantine/core';
import { DateTimePicker } from '@mantine/dates';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import dayjs from 'dayjs';
import { useState } from 'react';
import { api } from '../../api/client';
import { unwrap } from '../../api/errors';
import { ErrorNotice } from '../../components/ErrorNotice';
import {
  PRIORITIES,
  PRIORITY_LABEL,
  TASK_TYPES,
  TYPE_LABEL,
  taskLabel,
  type Priority,
  type TaskType,
} from './model';
import { useMechanicsFor, type Task } from './queries';
import { notifyDone } from '../../components/notify';

export interface AircraftOption {
  id: string;
  tail_number: string;
  model: string;
  aircraft_type_id: string | null;
}

/** `YYYY-MM-DD HH:mm:ss` in local time: what the date pickers hold. */
const toPicker = (iso: string | Date): string => dayjs(iso).format('YYYY-MM-DD HH:mm:ss');
const fromPicker = (value: string): string => dayjs(value).toISOString();

interface Draft {
  aircraftId: string | null;
  type: TaskType;
  priority: Priority;
  start: string | null;
  end: string | null;
  mechanicId: string | null;
  notes: string;
}

function initialDraft(task: Task | undefined, defaultStart: Date): Draft {
  if (task)
    return {
      aircraftId: task.aircraft_id,
      type: task.type,
      priority: task.priority,
      start: toPicker(task.start_time),
      end: toPicker(task.end_time),
      mechanicId: task.assigned_mechanic_id,
      notes: task.notes ?? '',
    };
  const start = dayjs(defaultStart).hour(8).minute(0).second(0);
  return {
    aircraftId: null,
    type: 'inspection',
    priority: 'routine',
    start: toPicker(start.toDate()),
    end: toPicker(start.add(4, 'hour').toDate()),
    mechanicId: null,
    notes: '',
  };
}

/**
 * Schedules a new task, or changes one (`task`): the API's refusals (TASK_OVERLAP,
 * MECHANIC_NOT_QUALIFIED, MECHANIC_BUSY, …) are shown in its words.
 */
export function TaskFormModal({
  opened,
  onClose,
  task,
  aircraft,
  defaultStart,
  onReschedule,
}: {
  opened: boolean;
  onClose: () => void;
  task?: Task;
  aircraft: AircraftOption[];
  defaultStart: Date;
  onReschedule?: (taskId: string) => void;
}) {
  return (
    <Modal
      opened={opened}
      onClose={onClose}
      title={task ? `Edit ${taskLabel(task)}` : 'Schedule a task'}
      size="lg"
      closeButtonProps={{ 'aria-label': 'Close' }}
    >
      {/* Mounted per opening: the form starts from the task (or blank) each time. */}
      {opened && (
        <TaskForm
          task={task}
          aircraft={aircraft}
          defaultStart={defaultStart}
          onDone={onClose}
          onReschedule={onReschedule}
        />
      )}
    </Modal>
  );
}

function TaskForm({
  task,
  aircraft,
  defaultStart,
  onDone,
  onReschedule,
}: {
  task?: Task;
  aircraft: AircraftOption[];
  defaultStart: Date;
  onDone: () => void;
  onReschedule?: (taskId: string) => void;
}) {
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState<Draft>(() => initialDraft(task, defaultStart));
  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => setDraft((d) => ({ ...d, [key]: value }));
  const chosen = aircraft.find((a) => a.id === draft.aircraftId);
  const mechanics = useMechanicsFor({
    type: draft.type,
    aircraftTypeId: chosen?.aircraft_type_id,
    start: draft.start ? fromPicker(draft.start) : null,
    end: draft.end ? fromPicker(draft.end) : null,
  });

  const save = useMutation({
    mutationFn: async () => {
      const start_time = fromPicker(draft.start!);
      const end_time = fromPicker(draft.end!);
      const notes = draft.notes.trim();
      if (task)
        return unwrap(
          api.PATCH('/api/v1/maintenance-tasks/{id}', {
            params: { path: { id: task.id } },
            body: {
              type: draft.type,
              priority: draft.priority,
              ...(task.state === 'in_progress' ? {} : { start_time }),
              end_time,
              assigned_mechanic_id: draft.mechanicId,
              notes: notes || null,
            },
          }),
        );
      return unwrap(
        api.POST('/api/v1/maintenance-tasks', {
          body: {
            aircraft_id: draft.aircraftId!,
            type: draft.type,
            priority: draft.priority,
            start_time,
            end_time,
            ...(draft.mechanicId ? { assigned_mechanic_id: draft.mechanicId } : {}),
            ...(notes ? { notes } : {}),
          },
          headers: { 'Idempotency-Key': crypto.randomUUID() },
        }),
      );
    },
    onSuccess: async () => {
      notifyDone(`${chosen?.tail_number ?? ''} ${TYPE_LABEL[draft.type]}`.trim(), {
        title: task ? 'Task changed' : 'Task scheduled',
      });
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: ['tasks'] }),
        queryClient.invalidateQueries({ queryKey: ['timeline'] }),
        queryClient.invalidateQueries({ queryKey: ['conflicts'] }),
      ]);
      onDone();
    },
  });

  const endBeforeStart = Boolean(draft.start && draft.end && !dayjs(draft.end).isAfter(dayjs(draft.start)));
  const complete = Boolean(draft.aircraftId && draft.start && draft.end) && !endBeforeStart;
  const mechanicOptions = (mechanics.data ?? []).map((m) => ({
    value: m.user_id,
    label: `${m.email} — ${
      m.qualified ? 'qualified' : `not qualified: ${m.missing.map((x) => x.message).join('; ')}`
    }${m.free ? '' : ', busy then'}`,
  }));
  if (draft.mechanicId && !mechanicOptions.some((o) => o.value === draft.mechanicId))
    mechanicOptions.unshift({ value: draft.mechanicId, label: 'The assigned mechanic' });

  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        if (complete) save.mutate();
      }}
    >
      <Stack gap="sm">
        {task ? (
          <Text size="sm">
            Aircraft: <b>{chosen?.tail_number ?? '—'}</b> (a task stays on its aircraft)
          </Text>
        ) : (
          <Select
            label="Aircraft"
            placeholder="Choose an aircraft"
            required
            searchable
            data={aircraft.map((a) => ({ value: a.id, label: `${a.tail_number} · ${a.model}` }))}
            value={draft.aircraftId}
            onChange={(value) => set('aircraftId', value)}
          />
        )}
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <Select
            label="Type"
            required
            allowDeselect={false}
            data={TASK_TYPES.map((t) => ({ value: t, label: TYPE_LABEL[t] }))}
            value={draft.type}
            onChange={(value) => value && set('type', value)}
          />
          <Select
            label="Priority"
            required
            allowDeselect={false}
            data={PRIORITIES.map((p) => ({ value: p, label: PRIORITY_LABEL[p] }))}
            value={draft.priority}
            onChange={(value) => value && set('priority', value)}
          />
          <DateTimePicker
            label="Start"
            required
            valueFormat="DD MMM YYYY HH:mm"
            value={draft.start}
            onChange={(value) => set('start', value)}
            disabled={task?.state === 'in_progress'}
            description={
              task?.state === 'in_progress' ? 'Work began then: the start no longer moves' : undefined
            }
            popoverProps={{ withinPortal: true }}
          />
          <DateTimePicker
            label="End"
            required
            valueFormat="DD MMM YYYY HH:mm"
            value={draft.end}
            onChange={(value) => set('end', value)}
            error={endBeforeStart ? 'The end must be after the start' : undefined}
            popoverProps={{ withinPortal: true }}
          />
        </SimpleGrid>
        <Select
          label="Mechanic (optional)"
          placeholder={mechanics.isFetching ? 'Checking who is qualified and free…' : 'Unassigned'}
          description="Qualified and free mechanics first, for this type, aircraft and window"
          clearable
          searchable
          data={mechanicOptions}
          value={draft.mechanicId}
          onChange={(value) => set('mechanicId', value)}
          nothingFoundMessage="No mechanic matches"
        />
        <Textarea
          label="Notes"
          autosize
          minRows={2}
          value={draft.notes}
          onChange={(event) => set('notes', event.currentTarget.value)}
        />
        <ErrorNotice
          error={save.error}
          title={task ? 'The task was not changed' : 'The task was not scheduled'}
        />
        <Group justify="space-between">
          {task && onReschedule ? (
            <Button variant="default" onClick={() => onReschedule(task.id)}>
              Reschedule with dependents…
            </Button>
          ) : (
            <span />
          )}
          <Group gap="xs">
            <Button variant="default" onClick={onDone}>
              Cancel
            </Button>
            <Button type="submit" loading={save.isPending} disabled={!complete}>
              {task ? 'Save changes' : 'Schedule task'}
            </Button>
          </Group>
        </Group>
      </Stack>
    </form>
  );
}
