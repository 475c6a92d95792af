import {
  Alert,
  Button,
  Checkbox,
  Group,
  List,
  Modal,
  Select,
  Stack,
  Table,
  Text,
  TextInput,
} from '@mantine/core';
import { DateTimePicker } from '@mantine/dates';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { IconArrowRight, IconBan } from '@tabler/icons-react';
import dayjs from 'dayjs';
import { useMemo, useState } from 'react';
import { api } from '../../api/client';
import { unwrap } from '../../api/errors';
import { DateTime } from '../../components/DateTime';
import { ErrorNotice } from '../../components/ErrorNotice';
import { formatWhen, taskLabel } from './model';
import type { ReschedulePlan, Task } from './queries';
import { notifyDone } from '../../components/notify';

const toPicker = (iso: string | Date): string => dayjs(iso).format('YYYY-MM-DD HH:mm:ss');

/** What a dialog asks: move this task to start then, why, and whether its dependents follow. */
interface Request {
  taskId: string;
  start: string;
  end: string;
  reason: string;
  cascade: boolean;
}

const sameRequest = (a: Request, b: Request) =>
  a.taskId === b.taskId &&
  a.start === b.start &&
  a.end === b.end &&
  a.reason === b.reason &&
  a.cascade === b.cascade;

/**
 * Moves a task to a new start, keeping its length: first a dry run that lists every task that
 * would move (old → new window, and which move forced it) and everything that blocks, then Confirm.
 */
export function RescheduleModal({
  opened,
  onClose,
  tasks,
  tails,
  initialTaskId,
  onMoved,
}: {
  opened: boolean;
  onClose: () => void;
  tasks: Task[];
  tails: Map<string, string>;
  initialTaskId: string | null;
  onMoved: (taskIds: string[]) => void;
}) {
  return (
    <Modal
      opened={opened}
      onClose={onClose}
      title="Reschedule a task"
      size="xl"
      closeButtonProps={{ 'aria-label': 'Close' }}
    >
      {opened && (
        <RescheduleForm
          tasks={tasks}
          tails={tails}
          initialTaskId={initialTaskId}
          onClose={onClose}
          onMoved={onMoved}
        />
      )}
    </Modal>
  );
}

function RescheduleForm({
  tasks,
  tails,
  initialTaskId,
  onClose,
  onMoved,
}: {
  tasks: Task[];
  tails: Map<string, string>;
  initialTaskId: string | null;
  onClose: () => void;
  onMoved: (taskIds: string[]) => void;
}) {
  const queryClient = useQueryClient();
  const movable = useMemo(
    () =>
      tasks.filter((t) => t.state === 'scheduled').sort((a, b) => a.start_time.localeCompare(b.start_time)),
    [tasks],
  );
  const byId = useMemo(() => new Map(tasks.map((t) => [t.id, t])), [tasks]);
  const name = (id: string) => {
    const task = byId.get(id);
    return task ? `${tails.get(task.aircraft_id) ?? ''} ${taskLabel(task)}`.trim() : `Task ${id.slice(0, 8)}`;
  };

  const [taskId, setTaskId] = useState<string | null>(
    initialTaskId && movable.some((t) => t.id === initialTaskId) ? initialTaskId : null,
  );
  const task = taskId ? byId.get(taskId) : undefined;
  const [start, setStart] = useState<string | null>(task ? toPicker(task.start_time) : null);
  const [reason, setReason] = useState('');
  const [cascade, setCascade] = useState(true);
  const [preview, setPreview] = useState<{ request: Request; plan: ReschedulePlan } | null>(null);

  const duration = task ? Date.parse(task.end_time) - Date.parse(task.start_time) : 0;
  const request: Request | null =
    task && start && reason.trim()
      ? {
          taskId: task.id,
          start: dayjs(start).toISOString(),
          end: new Date(dayjs(start).valueOf() + duration).toISOString(),
          reason: reason.trim(),
          cascade,
        }
      : null;

  const send = (body: Request, dryRun: boolean) =>
    unwrap(
      api.POST('/api/v1/maintenance-tasks/{id}/reschedule', {
        params: { path: { id: body.taskId } },
        body: {
          start_time: body.start,
          end_time: body.end,
          reason: body.reason,
          cascade: body.cascade,
          dry_run: dryRun,
        },
        headers: { 'Idempotency-Key': crypto.randomUUID() },
      }),
    );

  const dryRun = useMutation({
    mutationFn: (body: Request) => send(body, true),
    onSuccess: (plan, body) => setPreview({ request: body, plan }),
  });
  const confirm = useMutation({
    mutationFn: (body: Request) => send(body, false),
    onSuccess: async (plan) => {
      notifyDone(`${plan.moves.length} ${plan.moves.length === 1 ? 'task' : 'tasks'} moved`, {
        title: 'Rescheduled',
      });
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: ['tasks'] }),
        queryClient.invalidateQueries({ queryKey: ['timeline'] }),
        queryClient.invalidateQueries({ queryKey: ['conflicts'] }),
      ]);
      onMoved(plan.moves.map((m) => m.task_id));
      onClose();
    },
  });

  const current = preview && request && sameRequest(preview.request, request) ? preview.plan : null;
  const shift = (amount: number, unit: 'hour' | 'day') =>
    setStart((value) => (value ? toPicker(dayjs(value).add(amount, unit).toDate()) : value));

  return (
    <Stack gap="sm">
      <Select
        label="Task"
        placeholder="Choose a scheduled task"
        required
        searchable
        data={movable.map((t) => ({
          value: t.id,
          label: `${tails.get(t.aircraft_id) ?? ''} · ${taskLabel(t)} · ${formatWhen(t.start_time)}`,
        }))}
        value={taskId}
        onChange={(value) => {
          setTaskId(value);
          const chosen = value ? byId.get(value) : undefined;
          setStart(chosen ? toPicker(chosen.start_time) : null);
        }}
        nothingFoundMessage="No scheduled task in view matches"
      />
      {task && (
        <Text size="sm" c="dimmed">
          Now <DateTime value={task.start_time} /> – <DateTime value={task.end_time} /> (
          {Math.round((duration / 3_600_000) * 10) / 10} h; the length is kept)
        </Text>
      )}
      <Group align="flex-end" gap="xs" wrap="wrap">
        <DateTimePicker
          label="New start"
          required
          valueFormat="DD MMM YYYY HH:mm"
          value={start}
          onChange={setStart}
          disabled={!task}
          style={{ flex: '1 1 220px' }}
          popoverProps={{ withinPortal: true }}
        />
        <Button.Group>
          <Button
            variant="default"
            disabled={!start}
            onClick={() => shift(-1, 'day')}
            aria-label="One day earlier"
          >
            −1 day
          </Button>
          <Button
            variant="default"
            disabled={!start}
            onClick={() => shift(-1, 'hour')}
            aria-label="One hour earlier"
          >
            −1 h
          </Button>
          <Button
            variant="default"
            disabled={!start}
            onClick={() => shift(1, 'hour')}
            aria-label="One hour later"
          >
            +1 h
          </Button>
          <Button
            variant="default"
            disabled={!start}
            onClick={() => shift(1, 'day')}
            aria-label="One day later"
          >
            +1 day
          </Button>
        </Button.Group>
      </Group>
      {request && (
        <Text size="sm">
          New window: {formatWhen(request.start)} – {formatWhen(request.end)}
        </Text>
      )}
      <TextInput
        label="Reason"
        description="Kept in the schedule history of every task that moves"
        required
        value={reason}
        onChange={(event) => setReason(event.currentTarget.value)}
      />
      <Checkbox
        label="Move the tasks that depend on it as far as their dependencies need (cascade)"
        checked={cascade}
        onChange={(event) => setCascade(event.currentTarget.checked)}
      />
      <Group>
        <Button
          variant="default"
          disabled={!request}
          loading={dryRun.isPending}
          onClick={() => request && dryRun.mutate(request)}
        >
          Show impact
        </Button>
        {preview && !current && (
          <Text size="sm" c="dimmed">
            Changed since the impact was shown: show it again before confirming.
          </Text>
        )}
      </Group>
      <ErrorNotice error={dryRun.error} title="The impact could not be worked out" />
      {current && <Impact plan={current} name={name} tails={tails} />}
      <ErrorNotice error={confirm.error} title="Nothing was moved" />
      <Group justify="flex-end">
        <Button variant="default" onClick={onClose}>
          Cancel
        </Button>
        <Button
          disabled={!current || current.blockers.length > 0}
          loading={confirm.isPending}
          onClick={() => current && request && confirm.mutate(request)}
        >
          Confirm
          {current && current.blockers.length === 0
            ? ` — move ${current.moves.length} ${current.moves.length === 1 ? 'task' : 'tasks'}`
            : ''}
        </Button>
      </Group>
    </Stack>
  );
}

function Impact({
  plan,
  name,
  tails,
}: {
  plan: ReschedulePlan;
  name: (id: string) => string;
  tails: Map<string, string>;
}) {
  return (
    <Stack gap="xs" data-testid="reschedule-impact">
      <Text fw={600} size="sm">
        {plan.moves.length} {plan.moves.length === 1 ? 'task would move' : 'tasks would move'}
        {plan.blockers.length > 0
          ? `, ${plan.blockers.length} ${plan.blockers.length === 1 ? 'thing blocks' : 'things block'} it`
          : ''}
      </Text>
      <Table.ScrollContainer minWidth={640}>
        <Table striped withTableBorder fz="sm">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Task</Table.Th>
              <Table.Th>Now</Table.Th>
              <Table.Th aria-label="becomes" />
              <Table.Th>After</Table.Th>
              <Table.Th>Why</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {plan.moves.map((move) => (
              <Table.Tr key={move.task_id} data-testid="impact-move">
                <Table.Td>
                  {name(move.task_id)}
                  {!name(move.task_id).startsWith(tails.get(move.aircraft_id) ?? '\u0000') && (
                    <Text size="xs" c="dimmed">
                      {tails.get(move.aircraft_id)}
                    </Text>
                  )}
                </Table.Td>
                <Table.Td>
                  {formatWhen(move.old_start_time)} – {formatWhen(move.old_end_time)}
                </Table.Td>
                <Table.Td>
                  <IconArrowRight size={14} aria-hidden />
                </Table.Td>
                <Table.Td>
                  {formatWhen(move.new_start_time)} – {formatWhen(move.new_end_time)}
                </Table.Td>
                <Table.Td>
                  {move.cascaded_from_task_id ? (
                    <Text size="sm">Cascade: follows {name(move.cascaded_from_task_id)}</Text>
                  ) : (
                    <Text size="sm" fw={700}>
                      Moved as asked
                    </Text>
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {plan.blockers.length > 0 && (
        <Alert
          color="red"
          icon={<IconBan />}
          title="This reschedule is blocked"
          data-testid="reschedule-blockers"
        >
          <List size="sm" spacing={4}>
            {plan.blockers.map((blocker, i) => (
              <List.Item key={`${blocker.task_id}-${blocker.reason}-${i}`}>
                <b>{name(blocker.task_id)}</b>: {blocker.message} ({blocker.reason})
                {blocker.other_task_id ? ` — with ${name(blocker.other_task_id)}` : ''}
              </List.Item>
            ))}
          </List>
        </Alert>
      )}
    </Stack>
  );
}
