import {
  Button,
  Group,
  NumberInput,
  Paper,
  Select,
  SimpleGrid,
  Skeleton,
  Stack,
  Switch,
  Text,
  Title,
} from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../../api/client';
import { unwrap } from '../../api/errors';
import { useCan } from '../../app/access';
import { DateTime } from '../../components/DateTime';
import { ErrorNotice } from '../../components/ErrorNotice';
import { notifyDone } from '../../components/notify';

type Policy = Awaited<ReturnType<typeof fetchPolicy>>;
type Unit = 'minutes' | 'hours' | 'days';
interface Interval {
  amount: number | string;
  unit: Unit;
}
const MINUTES: Record<Unit, number> = { minutes: 1, hours: 60, days: 1440 };
const INTERVAL_FIELDS = ['retention_interval', 'grounding_lead_time', 'alert_escalation_after'] as const;
const NUMBER_FIELDS = [
  'api_rate_limit_per_min',
  'api_key_rate_limit_per_min',
  'max_webhook_attempts',
  'webhook_replay_window_seconds',
  'directive_warning_days',
] as const;
type IntervalField = (typeof INTERVAL_FIELDS)[number];
type NumberField = (typeof NUMBER_FIELDS)[number];

const fetchPolicy = (orgId: string) =>
  unwrap(api.GET('/api/v1/organizations/{id}/policy', { params: { path: { id: orgId } } }));

/** An ISO 8601 duration (P365D, PT24H, P1DT12H, PT30M) as an amount in its largest whole unit. */
export function parseInterval(iso: string): Interval {
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(iso);
  if (!m) return { amount: '', unit: 'hours' };
  const minutes =
    Number(m[1] ?? 0) * 1440 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0) + Number(m[4] ?? 0) / 60;
  const unit: Unit =
    minutes % 1440 === 0 && minutes > 0 ? 'days' : minutes % 60 === 0 && minutes > 0 ? 'hours' : 'minutes';
  return { amount: Math.round(minutes / MINUTES[unit]), unit };
}

export function formatInterval({ amount, unit }: Interval): string {
  const n = Number(amount);
  return unit === 'days' ? `P${n}D` : unit === 'hours' ? `PT${n}H` : `PT${n}M`;
}

const INTERVAL_LABEL: Record<IntervalField, { label: string; description: string }> = {
  grounding_lead_time: {
    label: 'Grounding lead time',
    description: 'How long before a task starts its aircraft is grounded',
  },
  alert_escalation_after: {
    label: 'Escalate unacknowledged alerts after',
    description: 'An open alert nobody acknowledges moves up a level (1 minute to 30 days)',
  },
  retention_interval: { label: 'Retention', description: 'How long operational records are kept' },
};
const NUMBER_LABEL: Record<NumberField, { label: string; description: string }> = {
  api_rate_limit_per_min: { label: 'API requests per minute', description: 'Per signed-in user' },
  api_key_rate_limit_per_min: { label: 'API key requests per minute', description: 'Per integration key' },
  max_webhook_attempts: {
    label: 'Webhook delivery attempts',
    description: 'Before a delivery is marked failed',
  },
  webhook_replay_window_seconds: {
    label: 'Webhook replay window (seconds)',
    description: 'How old a signed delivery a receiver should still accept',
  },
  directive_warning_days: {
    label: 'Directive warning (days)',
    description: 'How many days ahead a directive limit counts as due (1 to 365)',
  },
};

/** The organization's policy: limits, intervals and the signature rule; only changed fields are sent. */
export function PolicyForm({ orgId }: { orgId: string }) {
  const policy = useQuery({ queryKey: ['org-policy', orgId], queryFn: () => fetchPolicy(orgId) });
  return (
    <Paper withBorder p="md" radius="md" aria-labelledby="policy-title">
      <Title order={2} size="h4" id="policy-title" mb={2}>
        Organization policy
      </Title>
      <Text size="sm" c="dimmed" mb="sm">
        {policy.data ? (
          <>
            Last changed <DateTime value={policy.data.updated_at} />; every change is audited
          </>
        ) : (
          'Limits and rules for everyone in your organization'
        )}
      </Text>
      <ErrorNotice error={policy.error} title="The policy could not be loaded" />
      {policy.data ? (
        <PolicyFields key={policy.data.updated_at} orgId={orgId} policy={policy.data} />
      ) : (
        !policy.error && <Skeleton h={260} />
      )}
    </Paper>
  );
}

function PolicyFields({ orgId, policy }: { orgId: string; policy: Policy }) {
  const can = useCan();
  const queryClient = useQueryClient();
  const editable = can('org_policies', 'update');
  const [intervals, setIntervals] = useState(
    () =>
      Object.fromEntries(INTERVAL_FIELDS.map((f) => [f, parseInterval(policy[f])])) as Record<
        IntervalField,
        Interval
      >,
  );
  const [numbers, setNumbers] = useState(
    () =>
      Object.fromEntries(NUMBER_FIELDS.map((f) => [f, policy[f]])) as Record<NumberField, number | string>,
  );
  const [reauth, setReauth] = useState(policy.sign_off_reauthentication);

  const changes = () => {
    const body: Record<string, string | number | boolean> = {};
    for (const f of INTERVAL_FIELDS) {
      const value = formatInterval(intervals[f]);
      if (formatInterval(parseInterval(policy[f])) !== value) body[f] = value;
    }
    for (const f of NUMBER_FIELDS) if (Number(numbers[f]) !== policy[f]) body[f] = Number(numbers[f]);
    if (reauth !== policy.sign_off_reauthentication) body.sign_off_reauthentication = reauth;
    return body;
  };
  const save = useMutation({
    mutationFn: () =>
      unwrap(
        api.PATCH('/api/v1/organizations/{id}/policy', { params: { path: { id: orgId } }, body: changes() }),
      ),
    onSuccess: (saved) => {
      notifyDone('Policy saved');
      queryClient.setQueryData(['org-policy', orgId], saved);
    },
  });
  const dirty = Object.keys(changes()).length > 0;

  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        save.mutate();
      }}
    >
      <Stack>
        <ErrorNotice error={save.error} title="The policy was not saved" />
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          {INTERVAL_FIELDS.map((field) => (
            <Group key={field} gap="xs" align="flex-end" wrap="nowrap">
              <NumberInput
                label={INTERVAL_LABEL[field].label}
                description={INTERVAL_LABEL[field].description}
                min={1}
                allowDecimal={false}
                disabled={!editable}
                value={intervals[field].amount}
                onChange={(amount) => setIntervals((all) => ({ ...all, [field]: { ...all[field], amount } }))}
                style={{ flex: 1 }}
              />
              <Select
                aria-label={`${INTERVAL_LABEL[field].label}: unit`}
                data={['minutes', 'hours', 'days']}
                value={intervals[field].unit}
                allowDeselect={false}
                disabled={!editable}
                onChange={(unit) =>
                  unit && setIntervals((all) => ({ ...all, [field]: { ...all[field], unit: unit } }))
                }
                w={110}
              />
            </Group>
          ))}
          {NUMBER_FIELDS.map((field) => (
            <NumberInput
              key={field}
              label={NUMBER_LABEL[field].label}
              description={NUMBER_LABEL[field].description}
              min={1}
              allowDecimal={false}
              disabled={!editable}
              value={numbers[field]}
              onChange={(value) => setNumbers((all) => ({ ...all, [field]: value }))}
            />
          ))}
        </SimpleGrid>
        <Switch
          label="Sign-offs re-enter the signer's password"
          description="Electronic signatures on compliance sign-offs and inspections"
          checked={reauth}
          disabled={!editable}
          onChange={(e) => setReauth(e.currentTarget.checked)}
        />
        {editable && (
          <Group justify="flex-end">
            <Button type="submit" loading={save.isPending} disabled={!dirty}>
              Save policy
            </Button>
          </Group>
        )}
      </Stack>
    </form>
  );
}
