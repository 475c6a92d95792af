import { Anchor, Badge, Button, Group, List, Paper, Skeleton, Table, Text, Title } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api } from '../../api/client';
import { unwrap } from '../../api/errors';
import { EmptyState } from '../../components/EmptyState';
import { ErrorNotice } from '../../components/ErrorNotice';
import { missingInWords, refusalTitle } from './labels';
import { useQualifiedMechanics, useRefreshTask, type Task, BRIEF } from './queries';
import { notifyDone } from '../../components/notify';
import { QueryTable } from '../../components/DataTable';

/**
 * Who could do this task: every mechanic, qualified or what they lack, free or busy in its window,
 * with Assign for planners.
 */
export function AssignmentPanel({ task, canAssign }: { task: Task; canAssign: boolean }) {
  const mechanics = useQualifiedMechanics(task.id, true);
  const refresh = useRefreshTask();
  const open = task.state === 'scheduled' || task.state === 'in_progress';
  const assign = useMutation({
    mutationFn: (userId: string | null) =>
      unwrap(
        api.PATCH('/api/v1/maintenance-tasks/{id}', {
          params: { path: { id: task.id } },
          body: { assigned_mechanic_id: userId },
        }),
      ),
    onSuccess: (_task, userId) => {
      notifyDone(userId ? 'Mechanic assigned' : 'Mechanic unassigned', BRIEF);
      refresh();
    },
  });
  return (
    <Paper withBorder p="md" radius="md" aria-labelledby="assignment-title" data-testid="assignment-panel">
      <Title order={2} size="h4" id="assignment-title" mb={4}>
        Mechanics
      </Title>
      <Text size="sm" c="dimmed" mb="sm">
        Who is qualified for this task and free in its window
      </Text>
      {assign.error && <ErrorNotice error={assign.error} title={refusalTitle(assign.error)} />}
      <QueryTable
        query={mechanics}
        rows={mechanics.data}
        errorTitle="The mechanics could not be loaded"
        loading={<Skeleton h={120} />}
        empty={<EmptyState title="No mechanics">The organization has no live mechanic.</EmptyState>}
        minWidth={560}
        columns={['Mechanic', 'Qualification', 'In the window', canAssign && open && 'Action']}
        verticalSpacing="xs"
      >
        {(m) => {
          const assigned = m.user_id === task.assigned_mechanic_id;
          return (
            <Table.Tr key={m.user_id} data-testid="mechanic-row">
              <Table.Td>
                <Text size="sm" fw={assigned ? 700 : undefined}>
                  {m.email}
                </Text>
                {assigned && (
                  <Badge miw="max-content" size="sm" variant="filled" color="indigo.8">
                    assigned
                  </Badge>
                )}
              </Table.Td>
              <Table.Td>
                {m.qualified ? (
                  <Badge miw="max-content" color="teal.9" variant="filled">
                    Qualified
                  </Badge>
                ) : (
                  <>
                    <Badge miw="max-content" color="red.9" variant="filled">
                      Not qualified
                    </Badge>
                    <List size="sm" mt={4} spacing={2}>
                      {m.missing.map((missing, i) => (
                        <List.Item key={i}>{missingInWords(missing)}</List.Item>
                      ))}
                    </List>
                  </>
                )}
              </Table.Td>
              <Table.Td>
                {m.free ? (
                  <Badge miw="max-content" color="teal.9" variant="filled">
                    Free
                  </Badge>
                ) : (
                  <>
                    <Badge miw="max-content" color="orange.4" variant="filled" autoContrast>
                      Busy
                    </Badge>
                    <Group gap={6} mt={4}>
                      {m.overlapping_task_ids.map((id) => (
                        <Anchor key={id} component={Link} to={`/tasks/${id}`} size="xs">
                          task {id.slice(0, 8)}
                        </Anchor>
                      ))}
                    </Group>
                  </>
                )}
              </Table.Td>
              {canAssign && open && (
                <Table.Td>
                  {assigned ? (
                    <Button
                      size="xs"
                      variant="default"
                      loading={assign.isPending && assign.variables === null}
                      onClick={() => assign.mutate(null)}
                      aria-label={`Unassign ${m.email}`}
                    >
                      Unassign
                    </Button>
                  ) : (
                    <Button
                      size="xs"
                      variant={m.qualified && m.free ? 'filled' : 'default'}
                      loading={assign.isPending && assign.variables === m.user_id}
                      onClick={() => assign.mutate(m.user_id)}
                      aria-label={`Assign ${m.email}`}
                    >
                      Assign
                    </Button>
                  )}
                </Table.Td>
              )}
            </Table.Tr>
          );
        }}
      </QueryTable>
    </Paper>
  );
}
