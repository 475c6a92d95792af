import { Button, Checkbox, Group, Modal, Stack, Text, Textarea } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../../api/client';
import { unwrap } from '../../api/errors';
import { useCan } from '../../app/access';
import { useSession } from '../../auth/store';
import { ErrorNotice } from '../../components/ErrorNotice';
import { refusalTitle } from './labels';
import { useRefreshTask, type Task, BRIEF } from './queries';
import { notifyDone } from '../../components/notify';

type Move = { new_state: 'in_progress' | 'completed' | 'cancelled'; notes?: string } & {
  allow_early_completion?: boolean;
  allow_late_cancel?: boolean;
};

function useTransition(task: Task) {
  const refresh = useRefreshTask();
  return useMutation({
    mutationFn: (move: Move) =>
      unwrap(
        api.PATCH('/api/v1/maintenance-tasks/{id}/state', {
          params: { path: { id: task.id } },
          body: move,
          headers: { 'Idempotency-Key': crypto.randomUUID() },
        }),
      ),
    onSuccess: (_task, move) => {
      notifyDone(
        move.new_state === 'in_progress'
          ? 'Task started'
          : move.new_state === 'completed'
            ? 'Task completed'
            : 'Task cancelled',
        BRIEF,
      );
      // A start grounds the aircraft; an end or a cancel may return it to service and frees parts.
      refresh('aircraft', 'stock', 'parts');
    },
  });
}

/**
 * Start, Complete and Cancel, as the state and the role allow; what the API refuses is shown in
 * its words, under a heading that says what it means.
 */
export function StateActions({ task }: { task: Task }) {
  const can = useCan();
  const session = useSession();
  const start = useTransition(task);
  const [dialog, setDialog] = useState<'complete' | 'cancel' | null>(null);
  if (!can('maintenance_tasks', 'transition') || !session) return null;
  const mechanic = session.role === 'mechanic';
  const mine = task.assigned_mechanic_id === session.userId;
  const open = task.state === 'scheduled' || task.state === 'in_progress';
  const planner = session.role === 'scheduler' || session.role === 'admin';
  return (
    <Stack gap="xs" align="flex-end">
      <Group gap="xs">
        {task.state === 'scheduled' && (!mechanic || mine) && (
          <Button loading={start.isPending} onClick={() => start.mutate({ new_state: 'in_progress' })}>
            Start
          </Button>
        )}
        {task.state === 'in_progress' && (!mechanic || mine) && (
          <Button color="teal.9" onClick={() => setDialog('complete')}>
            Complete
          </Button>
        )}
        {open && planner && (
          <Button variant="default" onClick={() => setDialog('cancel')}>
            Cancel task
          </Button>
        )}
      </Group>
      {start.error && (
        <div style={{ maxWidth: 560 }} data-testid="transition-refusal">
          <ErrorNotice error={start.error} title={refusalTitle(start.error)} />
        </div>
      )}
      {dialog === 'complete' && (
        <CompleteDialog task={task} early={planner} onClose={() => setDialog(null)} />
      )}
      {dialog === 'cancel' && (
        <CancelDialog task={task} late={session.role === 'admin'} onClose={() => setDialog(null)} />
      )}
    </Stack>
  );
}

function CompleteDialog({ task, early, onClose }: { task: Task; early: boolean; onClose: () => void }) {
  const complete = useTransition(task);
  const [notes, setNotes] = useState(task.notes ?? '');
  // When the dialog opened: whether the window is still running then.
  const [openedAt] = useState(() => Date.now());
  const beforeEnd = openedAt < new Date(task.end_time).getTime();
  const [allowEarly, setAllowEarly] = useState(false);
  return (
    <Modal
      opened
      onClose={onClose}
      closeButtonProps={{ 'aria-label': 'Close dialog' }}
      title="Complete the task"
      centered
    >
      <form
        onSubmit={(event) => {
          event.preventDefault();
          const move: Move = { new_state: 'completed' };
          if (notes.trim() && notes !== task.notes) move.notes = notes.trim();
          if (early && allowEarly) move.allow_early_completion = true;
          complete.mutate(move, { onSuccess: onClose });
        }}
      >
        <Stack>
          <Text size="sm">
            Completing needs every compliance item signed off (and inspected where required) and every
            required part used.
          </Text>
          <Textarea
            label="Notes"
            description="What was done; required to complete"
            autosize
            minRows={2}
            value={notes}
            onChange={(event) => setNotes(event.currentTarget.value)}
          />
          {early && beforeEnd && (
            <Checkbox
              label="Complete before the window ends (planner's override)"
              checked={allowEarly}
              onChange={(event) => setAllowEarly(event.currentTarget.checked)}
            />
          )}
          {complete.error && (
            <div data-testid="transition-refusal">
              <ErrorNotice error={complete.error} title={refusalTitle(complete.error)} />
            </div>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Close
            </Button>
            <Button type="submit" color="teal.9" loading={complete.isPending}>
              Complete task
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

function CancelDialog({ task, late, onClose }: { task: Task; late: boolean; onClose: () => void }) {
  const cancel = useTransition(task);
  const [allowLate, setAllowLate] = useState(false);
  const [openedAt] = useState(() => Date.now());
  const pastWindow = openedAt > new Date(task.start_time).getTime() + 24 * 3600_000;
  return (
    <Modal
      opened
      onClose={onClose}
      closeButtonProps={{ 'aria-label': 'Close dialog' }}
      title="Cancel the task"
      centered
    >
      <Stack>
        <Text size="sm">
          Cancelling is final: the task&apos;s reserved parts are released and its window is freed.
        </Text>
        {late && pastWindow && (
          <Checkbox
            label="Cancel more than 24 hours after the start (admin's override)"
            checked={allowLate}
            onChange={(event) => setAllowLate(event.currentTarget.checked)}
          />
        )}
        {cancel.error && (
          <div data-testid="transition-refusal">
            <ErrorNotice error={cancel.error} title={refusalTitle(cancel.error)} />
          </div>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Keep the task
          </Button>
          <Button
            color="red.9"
            loading={cancel.isPending}
            onClick={() =>
              cancel.mutate(
                { new_state: 'cancelled', ...(late && allowLate ? { allow_late_cancel: true } : {}) },
                { onSuccess: onClose },
              )
            }
          >
            Cancel task
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
