import { Anchor, Badge, Paper, SimpleGrid, Skeleton, Stack, Text, Title } from '@mantine/core';
import type { ReactNode } from 'react';
import { Link, useParams } from 'react-router';
import { useCan } from '../app/access';
import { DateTime } from '../components/DateTime';
import { ErrorNotice } from '../components/ErrorNotice';
import { PageHeader } from '../components/PageHeader';
import { AssignmentPanel } from './task/AssignmentPanel';
import { CompliancePanel } from './task/CompliancePanel';
import { Dependencies } from './task/Dependencies';
import { isLight, PRIORITY_COLOR, PRIORITY_LABEL, STATE_COLOR, STATE_LABEL, TYPE_LABEL } from './task/labels';
import { PartsPanel } from './task/PartsPanel';
import { useAircraft, usePersonName, useTask, type TaskDetail } from './task/queries';
import { StateActions } from './task/StateActions';

/** One maintenance task: its state and the actions on it, who does it, its parts and its checks. */
export default function TaskPage() {
  const { id = '' } = useParams();
  const task = useTask(id);
  const aircraft = useAircraft(task.data?.task.aircraft_id);
  const can = useCan();
  const detail = task.data;
  // Planners and auditors see every mechanic against the task (a mechanic may not list them).
  const planner = can('qualification_checks', 'list');
  const title = detail
    ? `${TYPE_LABEL[detail.task.type]}${aircraft.data ? ` on ${aircraft.data.tail_number}` : ''}`
    : 'Task';
  return (
    <>
      <PageHeader
        title={title}
        description={detail?.task.notes ?? 'Maintenance task'}
        actions={detail && <StateActions task={detail.task} />}
      />
      <ErrorNotice error={task.error} title="The task could not be loaded" />
      {!detail ? (
        task.isPending && (
          <Stack>
            <Skeleton h={150} />
            <Skeleton h={220} />
          </Stack>
        )
      ) : (
        <Stack gap="md">
          <Summary detail={detail} tail={aircraft.data?.tail_number} />
          {planner && <AssignmentPanel task={detail.task} canAssign={can('maintenance_tasks', 'update')} />}
          <CompliancePanel detail={detail} />
          <PartsPanel detail={detail} />
        </Stack>
      )}
    </>
  );
}

function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div>
      <Text size="xs" c="dimmed" fw={600} tt="uppercase">
        {label}
      </Text>
      <div style={{ fontSize: 'var(--mantine-font-size-sm)' }}>{children}</div>
    </div>
  );
}

function Summary({ detail, tail }: { detail: TaskDetail; tail: string | undefined }) {
  const { task } = detail;
  const name = usePersonName(task.id);
  return (
    <Paper withBorder p="md" radius="md" aria-labelledby="summary-title">
      <Title order={2} size="h4" id="summary-title" mb="sm">
        Summary
      </Title>
      <SimpleGrid cols={{ base: 2, sm: 3, lg: 4 }} spacing="md" verticalSpacing="sm">
        <Field label="Aircraft">
          <Anchor component={Link} to={`/fleet/${task.aircraft_id}`}>
            {tail ?? 'Aircraft'}
          </Anchor>
        </Field>
        <Field label="State">
          <Badge
            color={STATE_COLOR[task.state]}
            variant="filled"
            autoContrast={isLight(STATE_COLOR[task.state])}
            data-testid="task-state"
          >
            {STATE_LABEL[task.state]}
          </Badge>
        </Field>
        <Field label="Priority">
          <Badge
            color={PRIORITY_COLOR[task.priority]}
            variant="filled"
            autoContrast={isLight(PRIORITY_COLOR[task.priority])}
          >
            {PRIORITY_LABEL[task.priority]}
          </Badge>
        </Field>
        <Field label="Type">{TYPE_LABEL[task.type]}</Field>
        <Field label="Window">
          <DateTime value={task.start_time} /> – <DateTime value={task.end_time} />
        </Field>
        <Field label="Worked">
          {task.started_at ? (
            <>
              started <DateTime value={task.started_at} />
              {task.completed_at && (
                <>
                  , completed <DateTime value={task.completed_at} />
                </>
              )}
            </>
          ) : (
            'not started'
          )}
        </Field>
        <Field label="Assigned mechanic">
          <span data-testid="assigned-mechanic">
            {task.assigned_mechanic_id ? name(task.assigned_mechanic_id) : 'Unassigned'}
          </span>
        </Field>
        <Field label="Notes">{task.notes ?? '—'}</Field>
      </SimpleGrid>
      <Text size="xs" c="dimmed" fw={600} tt="uppercase" mt="md">
        Dependencies
      </Text>
      <Dependencies dependencies={detail.dependencies} />
    </Paper>
  );
}
