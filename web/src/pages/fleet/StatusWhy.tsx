import { Alert, Anchor, List, Skeleton, Text } from '@mantine/core';
import { IconAlertTriangle, IconCircleCheck, IconTool } from '@tabler/icons-react';
import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { DateTime } from '../../components/DateTime';
import { useOpenTasks, type Aircraft, type Task } from './queries';
import { taskTitle } from './status';

function TaskLink({ task }: { task: Task }) {
  return (
    <Anchor component={Link} to={`/tasks/${task.id}`}>
      {taskTitle(task)}
    </Anchor>
  );
}

/**
 * Why the aircraft has its status, from its open tasks: the task in progress that holds it on the
 * ground, the confirmed task it was grounded ahead of, the hand that set it, an AOG task waiting.
 * (The aircraft record itself says only whether the status was set by hand or by AMSS.)
 */
export function StatusWhy({ aircraft }: { aircraft: Aircraft }) {
  const open = useOpenTasks(aircraft.id);
  if (open.isPending) return <Skeleton h={72} />;
  if (!open.data) return null;
  const { inProgress, scheduled } = open.data;
  // "Now" is when the tasks were read: the overdue ones are overdue as of that answer.
  const now = open.dataUpdatedAt;
  const aog = [...inProgress, ...scheduled].filter((t) => t.priority === 'aog' || t.priority === 'critical');
  const overdue = scheduled.filter((t) => new Date(t.start_time).getTime() < now);
  const confirmed = scheduled.filter((t) => t.assigned_mechanic_id !== null);
  const manual = aircraft.status_source === 'manual';

  const reasons: ReactNode[] = [];
  for (const task of inProgress)
    reasons.push(
      <>
        <TaskLink task={task} /> is in progress since <DateTime value={task.started_at ?? task.start_time} />
      </>,
    );
  if (aircraft.status === 'grounded' && inProgress.length === 0 && !manual && confirmed[0])
    reasons.push(
      <>
        Grounded ahead of <TaskLink task={confirmed[0]} />, which starts{' '}
        <DateTime value={confirmed[0].start_time} />
      </>,
    );
  for (const task of overdue)
    reasons.push(
      <>
        <TaskLink task={task} /> should have started <DateTime value={task.start_time} /> and has not
      </>,
    );
  for (const task of aog.filter((t) => t.state === 'scheduled' && !overdue.includes(t)))
    reasons.push(
      <>
        {task.priority === 'aog' ? 'AOG' : 'Critical'} task waiting: <TaskLink task={task} />, planned{' '}
        <DateTime value={task.start_time} />
      </>,
    );

  const title =
    aircraft.status === 'grounded'
      ? manual
        ? 'Grounded by hand: it stays on the ground until someone releases it'
        : inProgress.length > 0
          ? 'Grounded by AMSS while maintenance is in progress'
          : 'Grounded by AMSS for maintenance about to start'
      : aircraft.status === 'maintenance'
        ? 'In maintenance, set by hand: it stays so until someone changes it'
        : aog.length > 0
          ? 'In service, with AOG work waiting'
          : 'In service';
  const color =
    aircraft.status === 'grounded'
      ? 'red'
      : aircraft.status === 'maintenance'
        ? 'yellow'
        : aog.length > 0
          ? 'orange'
          : 'teal';
  const icon =
    aircraft.status === 'operational' && aog.length === 0 ? (
      <IconCircleCheck />
    ) : aircraft.status === 'maintenance' ? (
      <IconTool />
    ) : (
      <IconAlertTriangle />
    );

  return (
    <Alert
      color={color}
      icon={icon}
      title={title}
      data-testid="status-why"
      // The light variant's coloured title is below AA contrast; the icon and border carry the colour.
      styles={{ title: { color: 'var(--mantine-color-black)' } }}
    >
      {reasons.length > 0 ? (
        <List size="sm" spacing={2}>
          {reasons.map((reason, i) => (
            <List.Item key={i}>{reason}</List.Item>
          ))}
        </List>
      ) : (
        <Text size="sm">
          {aircraft.status === 'operational' ? (
            scheduled[0] ? (
              <>
                Next task: <TaskLink task={scheduled[0]} />, <DateTime value={scheduled[0].start_time} />
              </>
            ) : (
              'No open maintenance tasks.'
            )
          ) : (
            'No task in progress or due explains it.'
          )}
        </Text>
      )}
    </Alert>
  );
}
