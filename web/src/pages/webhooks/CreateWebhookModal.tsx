import {
  Alert,
  Button,
  Code,
  CopyButton,
  Group,
  Modal,
  MultiSelect,
  Stack,
  Text,
  TextInput,
} from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { IconCheck, IconCopy, IconKey } from '@tabler/icons-react';
import { useState } from 'react';
import { EVENT_TYPES } from '../../../../src/domain/events.js';
import { api } from '../../api/client';
import { unwrap } from '../../api/errors';
import { ErrorNotice } from '../../components/ErrorNotice';
import { notifyDone } from '../../components/notify';

const EVENT_OPTIONS = [
  { value: '*', label: 'Every event (*)' },
  ...EVENT_TYPES.map((e) => ({ value: e, label: e })),
];

/** Subscribes a URL to events; the signing secret is shown here once, to be copied. */
export function CreateWebhookModal({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const queryClient = useQueryClient();
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<string[]>([]);
  const create = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/api/v1/webhooks', {
          body: { url: url.trim(), events },
          headers: { 'Idempotency-Key': crypto.randomUUID() },
        }),
      ),
    onSuccess: () => {
      notifyDone('Webhook created');
      void queryClient.invalidateQueries({ queryKey: ['webhooks'] });
    },
  });
  const close = () => {
    setUrl('');
    setEvents([]);
    create.reset();
    onClose();
  };
  const created = create.data;
  return (
    <Modal
      closeButtonProps={{ 'aria-label': 'Close' }}
      opened={opened}
      onClose={close}
      title={created ? 'Webhook created' : 'Add a webhook'}
      size="lg"
    >
      {created ? (
        <Stack>
          <Alert variant="default" icon={<IconKey />} title="Copy the signing secret now">
            This is the only time it is shown. Your receiver verifies each delivery's X-Webhook-Signature with
            it.
          </Alert>
          <Text size="sm">
            Deliveries to <Code>{created.url}</Code>
          </Text>
          <Group wrap="nowrap" align="center">
            <Code
              block
              style={{ flex: 1, wordBreak: 'break-all', whiteSpace: 'pre-wrap' }}
              data-testid="webhook-secret"
            >
              {created.secret}
            </Code>
            <CopyButton value={created.secret}>
              {({ copied, copy }) => (
                <Button
                  variant="filled"
                  color={copied ? 'teal.9' : undefined}
                  leftSection={copied ? <IconCheck size={16} /> : <IconCopy size={16} />}
                  onClick={copy}
                >
                  {copied ? 'Copied' : 'Copy'}
                </Button>
              )}
            </CopyButton>
          </Group>
          <Group justify="flex-end">
            <Button onClick={close}>I have stored the secret</Button>
          </Group>
        </Stack>
      ) : (
        <form
          onSubmit={(event) => {
            event.preventDefault();
            create.mutate();
          }}
        >
          <Stack>
            <ErrorNotice error={create.error} title="The webhook was not created" />
            <TextInput
              label="URL"
              required
              type="url"
              placeholder="https://hooks.example.com/amss"
              value={url}
              onChange={(e) => setUrl(e.currentTarget.value)}
              data-autofocus
            />
            <MultiSelect
              label="Events"
              description="The event types to send; * sends every event"
              required
              searchable
              data={EVENT_OPTIONS}
              value={events}
              onChange={setEvents}
              maxDropdownHeight={260}
              comboboxProps={{ withinPortal: true }}
            />
            <Group justify="flex-end">
              <Button variant="default" onClick={close}>
                Cancel
              </Button>
              <Button type="submit" loading={create.isPending} disabled={!url.trim() || events.length === 0}>
                Create webhook
              </Button>
            </Group>
          </Stack>
        </form>
      )}
    </Modal>
  );
}
