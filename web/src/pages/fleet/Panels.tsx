import { Anchor, Badge, Group, Paper, Select, Skeleton, Stack, Table, Text, Title } from '@mantine/core';
import { useState, type ReactNode } from 'react';
import { Link } from 'react-router';
import { CursorPager, useCursorPages } from '../../components/CursorPager';
import { DateTime } from '../../components/DateTime';
import { EmptyState } from '../../components/EmptyState';
import { ErrorNotice } from '../../components/ErrorNotice';
import {
  useAircraftTasks,
  useComplianceStatus,
  usePrograms,
  useUsage,
  type ComplianceStatus,
  type Program,
  type TaskState,
} from './queries';
import { PRIORITY_LABEL, TASK_STATE_LABEL, TaskStateBadge, taskTitle } from './status';

export const number = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });

/** A titled panel of the aircraft page. */
export function Panel({
  title,
  actions,
  children,
  testId,
}: {
  title: string;
  actions?: ReactNode;
  children: ReactNode;
  testId?: string;
}) {
  const id = `panel-${title.toLowerCase().replace(/\W+/g, '-')}`;
  return (
    <Paper withBorder p="md" radius="md" component="section" aria-labelledby={id} data-testid={testId}>
      <Group justify="space-between" mb="sm" wrap="wrap">
        <Title order={2} size="h4" id={id}>
          {title}
        </Title>
        {actions && <Group gap="xs">{actions}</Group>}
      </Group>
      {children}
    </Paper>
  );
}

function Rows({ n, cols }: { n: number; cols: number }) {
  return Array.from({ length: n }, (_, i) => (
    <Table.Tr key={i}>
      <Table.Td colSpan={cols}>
        <Skeleton h={20} />
      </Table.Td>
    </Table.Tr>
  ));
}

/** The latest recorded flights. */
export function RecentUsage({ aircraftId }: { aircraftId: string }) {
  const usage = useUsage(aircraftId, 10);
  return (
    <>
      <ErrorNotice error={usage.error} title="The usage could not be loaded" />
      <Table.ScrollContainer minWidth={360}>
        <Table verticalSpacing={4} data-testid="usage-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Flown</Table.Th>
              <Table.Th>Flight</Table.Th>
              <Table.Th ta="right">Hours</Table.Th>
              <Table.Th ta="right">Cycles</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {usage.isPending ? (
              <Rows n={3} cols={4} />
            ) : (
              usage.data?.map((flight) => (
                <Table.Tr key={flight.id}>
                  <Table.Td>
                    <DateTime value={flight.recorded_at} />
                  </Table.Td>
                  <Table.Td>{flight.source_ref}</Table.Td>
                  <Table.Td ta="right">{number.format(flight.flight_hours)}</Table.Td>
                  <Table.Td ta="right">{flight.cycles}</Table.Td>
                </Table.Tr>
              ))
            )}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {usage.data?.length === 0 && (
        <EmptyState title="No flights recorded">Usage recorded here moves the totals.</EmptyState>
      )}
    </>
  );
}

const INTERVAL_UNIT = { calendar: 'days', flight_hours: 'flight hours', cycles: 'cycles' } as const;

function NextDue({ program, now }: { program: Program; now: number }) {
  const due = program.next_due;
  if (!due)
    return (
      <Text size="sm" c="dimmed">
        Not yet performed
      </Text>
    );
  if (program.interval_type === 'calendar') {
    const overdue = due.at !== null && new Date(due.at).getTime() < now;
    return (
      <Group gap={6} wrap="nowrap">
        <DateTime value={due.at} dateOnly />
        {overdue && (
          <Badge color="red.9" size="sm" miw="max-content">
            Overdue
          </Badge>
        )}
      </Group>
    );
  }
  const unit = program.interval_type === 'flight_hours' ? 'FH' : 'cycles';
  const at = program.interval_type === 'flight_hours' ? due.flight_hours : due.cycles;
  const remaining = due.remaining ?? 0;
  return (
    <Group gap={6} wrap="nowrap">
      <Text size="sm">
        at {number.format(at ?? 0)} {unit}
      </Text>
      <Text size="sm" c={remaining < 0 ? 'red.9' : 'dimmed'} fw={remaining < 0 ? 700 : undefined}>
        {remaining < 0 ? `overdue by ${number.format(-remaining)}` : `${number.format(remaining)} left`}
      </Text>
    </Group>
  );
}

/** The programs bound to the aircraft, with what each requires and when it is next due. */
export function ProgramsPanel({ aircraftId }: { aircraftId: string }) {
  const programs = usePrograms(aircraftId);
  return (
    <Panel title="Maintenance programs" testId="programs">
      <ErrorNotice error={programs.error} title="The programs could not be loaded" />
      <Table.ScrollContainer minWidth={520}>
        <Table verticalSpacing={4}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Program</Table.Th>
              <Table.Th>Every</Table.Th>
              <Table.Th>Last performed</Table.Th>
              <Table.Th>Next due</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {programs.isPending ? (
              <Rows n={2} cols={4} />
            ) : (
              programs.data?.map((program) => (
                <Table.Tr key={program.id}>
                  <Table.Td>{program.name}</Table.Td>
                  <Table.Td>
                    {number.format(program.interval_value)} {INTERVAL_UNIT[program.interval_type]}
                  </Table.Td>
                  <Table.Td>
                    <DateTime value={program.last_performed} dateOnly />
                  </Table.Td>
                  <Table.Td>
                    <NextDue program={program} now={programs.dataUpdatedAt} />
                  </Table.Td>
                </Table.Tr>
              ))
            )}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {programs.data?.length === 0 && (
        <EmptyState title="No programs">No maintenance program is bound to this aircraft.</EmptyState>
      )}
    </Panel>
  );
}

const COMPLIANCE_LABEL: Record<ComplianceStatus['status'], string> = {
  pending: 'Pending',
  in_progress: 'In progress',
  complied: 'Complied',
  not_applicable: 'Not applicable',
  deferred: 'Deferred',
  overdue: 'Overdue',
};
const COMPLIANCE_COLOR: Record<ComplianceStatus['status'], string> = {
  pending: 'blue.8',
  in_progress: 'orange.3',
  complied: 'teal.9',
  not_applicable: 'gray.3',
  deferred: 'yellow.4',
  overdue: 'red.9',
};

function Due({ due }: { due: ComplianceStatus['effective_due'] }) {
  const parts: ReactNode[] = [];
  if (due.date) parts.push(<DateTime key="d" value={due.date} dateOnly />);
  if (due.flight_hours !== null) parts.push(`${number.format(due.flight_hours)} FH`);
  if (due.cycles !== null) parts.push(`${number.format(due.cycles)} cycles`);
  if (parts.length === 0) return <span>—</span>;
  return (
    <Stack gap={0}>
      {parts.map((part, i) => (
        <span key={i} style={{ whiteSpace: 'nowrap' }}>
          {i > 0 && 'or '}
          {part}
        </span>
      ))}
    </Stack>
  );
}

/** Every directive tracked on the aircraft: its status, when it is due and the last compliance. */
export function CompliancePanel({ aircraftId }: { aircraftId: string }) {
  const compliance = useComplianceStatus(aircraftId);
  return (
    <Panel title="Directive compliance" testId="compliance">
      <ErrorNotice error={compliance.error} title="The directive compliance could not be loaded" />
      <Table.ScrollContainer minWidth={720}>
        <Table verticalSpacing={4}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Directive</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th>Due</Table.Th>
              <Table.Th>Projected</Table.Th>
              <Table.Th>Last complied</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {compliance.isPending ? (
              <Rows n={2} cols={5} />
            ) : (
              compliance.data?.map((row) => (
                <Table.Tr key={row.id}>
                  <Table.Td>
                    <Text size="sm" fw={600}>
                      {row.authority_code} {row.reference_number}
                    </Text>
                    <Text size="xs" c="dimmed" lineClamp={1} title={row.title}>
                      {row.title}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Badge color={COMPLIANCE_COLOR[row.status]} autoContrast size="sm" miw="max-content">
                      {COMPLIANCE_LABEL[row.status]}
                    </Badge>
                    {row.task_id && (
                      <Text size="xs">
                        <Anchor component={Link} to={`/tasks/${row.task_id}`}>
                          Booked task
                        </Anchor>
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td>
                    <Due due={row.effective_due} />
                  </Table.Td>
                  <Table.Td>
                    <DateTime value={row.projected_due_date} dateOnly />
                  </Table.Td>
                  <Table.Td>
                    {row.last_compliance ? (
                      <>
                        <DateTime value={row.last_compliance.performed_at} dateOnly />
                        <Text size="xs" c="dimmed">
                          {row.last_compliance.signer_email ?? 'signed'}
                        </Text>
                      </>
                    ) : (
                      '—'
                    )}
                  </Table.Td>
                </Table.Tr>
              ))
            )}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {compliance.data?.length === 0 && (
        <EmptyState title="No directives tracked">
          No airworthiness directive applies to this aircraft.
        </EmptyState>
      )}
    </Panel>
  );
}

const TASK_STATES = Object.keys(TASK_STATE_LABEL) as TaskState[];

/** The aircraft's tasks by start, filtered by state, page by page; each opens the task. */
export function TasksPanel({ aircraftId }: { aircraftId: string }) {
  const [state, setState] = useState<TaskState | undefined>();
  const [sort, setSort] = useState('-start_time');
  const pages = useCursorPages(`${state ?? ''}|${sort}`);
  const tasks = useAircraftTasks(aircraftId, { state, sort }, pages.cursor);
  const rows = tasks.data?.rows;
  return (
    <Panel
      title="Tasks"
      testId="tasks"
      actions={
        <>
          <Select
            label="State"
            placeholder="Any state"
            size="xs"
            w={150}
            data={TASK_STATES.map((s) => ({ value: s, label: TASK_STATE_LABEL[s] }))}
            value={state ?? null}
            onChange={(value) => setState(value ?? undefined)}
            clearable
          />
          <Select
            label="Order"
            size="xs"
            w={150}
            data={[
              { value: '-start_time', label: 'Latest start first' },
              { value: 'start_time', label: 'Earliest start first' },
            ]}
            value={sort}
            onChange={(value) => value && setSort(value)}
            allowDeselect={false}
          />
        </>
      }
    >
      <ErrorNotice error={tasks.error} title="The tasks could not be loaded" />
      <Table.ScrollContainer minWidth={720}>
        <Table verticalSpacing={4} data-testid="tasks-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Task</Table.Th>
              <Table.Th>Priority</Table.Th>
              <Table.Th>State</Table.Th>
              <Table.Th>Start</Table.Th>
              <Table.Th>End</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody style={{ opacity: tasks.isPlaceholderData ? 0.6 : 1 }}>
            {!rows ? (
              <Rows n={3} cols={5} />
            ) : (
              rows.map((task) => (
                <Table.Tr key={task.id}>
                  <Table.Td maw={360}>
                    <Anchor component={Link} to={`/tasks/${task.id}`} size="sm">
                      {taskTitle(task)}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>
                    {task.priority === 'aog' || task.priority === 'critical' ? (
                      <Badge color="red.9" size="sm" miw="max-content">
                        {PRIORITY_LABEL[task.priority]}
                      </Badge>
                    ) : (
                      PRIORITY_LABEL[task.priority]
                    )}
                  </Table.Td>
                  <Table.Td>
                    <TaskStateBadge state={task.state} />
                  </Table.Td>
                  <Table.Td>
                    <DateTime value={task.start_time} />
                  </Table.Td>
                  <Table.Td>
                    <DateTime value={task.end_time} />
                  </Table.Td>
                </Table.Tr>
              ))
            )}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {rows?.length === 0 && (
        <EmptyState title={state ? `No ${TASK_STATE_LABEL[state].toLowerCase()} tasks` : 'No tasks'}>
          {state ? 'Try another state.' : 'No maintenance has been planned on this aircraft.'}
        </EmptyState>
      )}
      {rows && (
        <CursorPager
          label="Task pages"
          pages={pages}
          nextCursor={tasks.data?.next}
          waiting={tasks.isPlaceholderData}
        />
      )}
    </Panel>
  );
}
