import { Alert } from '@mantine/core';
import { IconAlertCircle } from '@tabler/icons-react';
import { ApiError, describeError } from '../api/errors';

/** An error in the API's own words, with its reason for whoever reports it. */
export function ErrorNotice({ error, title = 'That did not work' }: { error: unknown; title?: string }) {
  if (!error) return null;
  return (
    <Alert color="red" icon={<IconAlertCircle />} title={title} role="alert">
      {describeError(error)}
      {error instanceof ApiError && (
        <div style={{ opacity: 0.7, fontSize: 12, marginTop: 4 }}>
          {error.reason}
          {error.envelope.request_id ? ` · request ${error.envelope.request_id}` : ''}
        </div>
      )}
    </Alert>
  );
}
