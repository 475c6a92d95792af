import {
  Badge,
  Button,
  Checkbox,
  Group,
  Modal,
  Paper,
  SegmentedControl,
  Stack,
  Table,
  Text,
  Textarea,
  Title,
} from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { SignatureDialog } from './SignatureDialog';
import { api } from '../../api/client';
import { unwrap } from '../../api/errors';
import { useCan } from '../../app/access';
import { useSession } from '../../auth/store';
import { DateTime } from '../../components/DateTime';
import { EmptyState } from '../../components/EmptyState';
import { ErrorNotice } from '../../components/ErrorNotice';
import { refusalTitle } from './labels';
import { sign, usePersonName, useRefreshTask, type ComplianceItem, type TaskDetail, BRIEF } from './queries';
import { notifyDone } from '../../components/notify';

const RESULT = {
  pass: { label: 'Pass', color: 'teal.9' },
  fail: { label: 'Fail', color: 'red.9' },
  pending: { label: 'Pending', color: 'gray.7' },
} as const;

type Dialog =
  { kind: 'add' } | { kind: 'sign'; item: ComplianceItem } | { kind: 'inspect'; item: ComplianceItem };

/** The checks the task must pass: who signed each off and when, and its independent inspection. */
export function CompliancePanel({ detail }: { detail: TaskDetail }) {
  const { task, compliance } = detail;
  const can = useCan();
  const name = usePersonName(task.id);
  const refresh = useRefreshTask();
  const [dialog, setDialog] = useState<Dialog | null>(null);
  const open = task.state === 'scheduled' || task.state === 'in_progress';
  const flag = useMutation({
    mutationFn: ({ id, requires }: { id: string; requires: boolean }) =>
      unwrap(
        api.PATCH('/api/v1/compliance-items/{id}', {
          params: { path: { id } },
          body: { requires_inspection: requires },
        }),
      ),
    onSuccess: (_item, { requires }) => {
      notifyDone(requires ? 'Independent inspection required' : 'Inspection requirement waived', BRIEF);
      refresh();
    },
  });

  return (
    <Paper withBorder p="md" radius="md" aria-labelledby="compliance-title">
      <Group justify="space-between" mb="sm">
        <Title order={2} size="h4" id="compliance-title">
          Compliance items
        </Title>
        {open && can('compliance_items', 'create') && (
          <Button size="xs" onClick={() => setDialog({ kind: 'add' })}>
            Add item
          </Button>
        )}
      </Group>
      {flag.error && <ErrorNotice error={flag.error} title={refusalTitle(flag.error)} />}
      {compliance.length === 0 ? (
        <EmptyState title="No compliance items">
          The checks this task must pass are listed here; the task completes once each is signed off.
        </EmptyState>
      ) : (
        <Table.ScrollContainer minWidth={720}>
          <Table verticalSpacing="xs" data-testid="compliance-items">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Check</Table.Th>
                <Table.Th>Result</Table.Th>
                <Table.Th>Signed off</Table.Th>
                <Table.Th>Independent inspection</Table.Th>
                <Table.Th>Action</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {compliance.map((item) => (
                <Table.Tr key={item.id} data-testid="compliance-item">
                  <Table.Td maw={320}>
                    <Text size="sm">{item.description}</Text>
                  </Table.Td>
                  <Table.Td>
                    <Badge miw="max-content" color={RESULT[item.result].color} variant="filled">
                      {RESULT[item.result].label}
                    </Badge>
                  </Table.Td>
                  <Table.Td>
                    {item.signed_off ? (
                      <Text size="sm" data-testid="signed-off">
                        {name(item.sign_off_user_id)}
                        <br />
                        <DateTime value={item.sign_off_time} />
                      </Text>
                    ) : (
                      <Text size="sm" c="dimmed">
                        Not yet
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td>
                    {!item.requires_inspection ? (
                      <Text size="sm" c="dimmed">
                        Not required
                      </Text>
                    ) : item.inspected_at ? (
                      <Text size="sm" data-testid="inspected">
                        {name(item.inspected_by)}
                        <br />
                        <DateTime value={item.inspected_at} />
                      </Text>
                    ) : (
                      <Badge miw="max-content" color="orange.4" variant="filled" autoContrast>
                        Pending
                      </Badge>
                    )}
                  </Table.Td>
                  <Table.Td>
                    <Group gap={6}>
                      {open && !item.signed_off && can('compliance_items', 'sign_off') && (
                        <Button
                          size="xs"
                          onClick={() => setDialog({ kind: 'sign', item })}
                          aria-label={`Sign off: ${item.description}`}
                        >
                          Sign off
                        </Button>
                      )}
                      {open &&
                        item.signed_off &&
                        item.inspection_pending &&
                        can('compliance_items', 'inspect') && (
                          <Button
                            size="xs"
                            onClick={() => setDialog({ kind: 'inspect', item })}
                            aria-label={`Inspect: ${item.description}`}
                          >
                            Inspect
                          </Button>
                        )}
                      {open &&
                        !item.signed_off &&
                        !item.requires_inspection &&
                        can('compliance_items', 'require_inspection') && (
                          <Button
                            size="xs"
                            variant="default"
                            loading={flag.isPending && flag.variables.id === item.id}
                            onClick={() => flag.mutate({ id: item.id, requires: true })}
                            aria-label={`Require inspection: ${item.description}`}
                          >
                            Require inspection
                          </Button>
                        )}
                      {open &&
                        !item.signed_off &&
                        item.requires_inspection &&
                        can('compliance_items', 'waive_inspection') && (
                          <Button
                            size="xs"
                            variant="default"
                            loading={flag.isPending && flag.variables.id === item.id}
                            onClick={() => flag.mutate({ id: item.id, requires: false })}
                            aria-label={`Waive inspection: ${item.description}`}
                          >
                            Waive inspection
                          </Button>
                        )}
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {dialog?.kind === 'add' && <AddItemDialog taskId={task.id} onClose={() => setDialog(null)} />}
      {dialog?.kind === 'sign' && <SignOffDialog item={dialog.item} onClose={() => setDialog(null)} />}
      {dialog?.kind === 'inspect' && (
        <InspectDialog
          item={dialog.item}
          assignedMechanicId={task.assigned_mechanic_id}
          onClose={() => setDialog(null)}
        />
      )}
    </Paper>
  );
}

function AddItemDialog({ taskId, onClose }: { taskId: string; onClose: () => void }) {
  const [description, setDescription] = useState('');
  const [requiresInspection, setRequiresInspection] = useState(false);
  const refresh = useRefreshTask();
  const add = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/api/v1/compliance-items', {
          body: { task_id: taskId, description: description.trim(), requires_inspection: requiresInspection },
          headers: { 'Idempotency-Key': crypto.randomUUID() },
        }),
      ),
    onSuccess: () => {
      notifyDone('Compliance item added', BRIEF);
      refresh();
      onClose();
    },
  });
  return (
    <Modal
      opened
      onClose={onClose}
      closeButtonProps={{ 'aria-label': 'Close dialog' }}
      title="Add a compliance item"
      centered
    >
      <form
        onSubmit={(event) => {
          event.preventDefault();
          add.mutate();
        }}
      >
        <Stack>
          <Textarea
            label="What is checked"
            placeholder="e.g. Torque main gear bolts to 25 Nm"
            required
            autosize
            minRows={2}
            value={description}
            onChange={(event) => setDescription(event.currentTarget.value)}
            data-autofocus
          />
          <Checkbox
            label="Requires an independent inspection after the sign-off"
            checked={requiresInspection}
            onChange={(event) => setRequiresInspection(event.currentTarget.checked)}
          />
          {add.error && <ErrorNotice error={add.error} title={refusalTitle(add.error)} />}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Close
            </Button>
            <Button type="submit" disabled={!description.trim()} loading={add.isPending}>
              Add item
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

/** The electronic signature: the result and the signer's own password, re-entered. */
function SignOffDialog({ item, onClose }: { item: ComplianceItem; onClose: () => void }) {
  const [result, setResult] = useState<'pass' | 'fail'>(item.result === 'fail' ? 'fail' : 'pass');
  return (
    <SignatureDialog
      item={item}
      title="Sign off a compliance item"
      meaning="Your signature records that you performed this work. It cannot be changed afterwards."
      sign={(password) => sign(`/api/v1/compliance-items/${item.id}/sign-off`, 'PATCH', { result, password })}
      signLabel="Sign off"
      signedMessage="Signed off"
      onClose={onClose}
    >
      <Stack gap={4}>
        <Text size="sm" fw={500} id="sign-off-result">
          Result
        </Text>
        <SegmentedControl
          aria-labelledby="sign-off-result"
          value={result}
          onChange={(value) => setResult(value)}
          data={[
            { value: 'pass', label: 'Pass' },
            { value: 'fail', label: 'Fail' },
          ]}
        />
      </Stack>
    </SignatureDialog>
  );
}

/** The independent inspection: a second mechanic's signature, never the performer's. */
function InspectDialog({
  item,
  assignedMechanicId,
  onClose,
}: {
  item: ComplianceItem;
  assignedMechanicId: string | null;
  onClose: () => void;
}) {
  const session = useSession();
  const performer =
    session && (item.sign_off_user_id === session.userId || assignedMechanicId === session.userId);
  return (
    <SignatureDialog
      item={item}
      title="Independent inspection"
      meaning="Your signature records that you inspected this work independently of whoever performed it."
      sign={(password) => sign(`/api/v1/compliance-items/${item.id}/inspect`, 'POST', { password })}
      signLabel="Sign the inspection"
      signedMessage="Inspection recorded"
      onClose={onClose}
    >
      {performer && (
        <Text size="sm" c="red.9">
          You performed this task&apos;s work: the inspection must be made by someone else.
        </Text>
      )}
    </SignatureDialog>
  );
}
