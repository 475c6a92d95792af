import { notifications } from '@mantine/notifications';
import { describeError } from '../api/errors';

const COLOR = { done: 'teal', warning: 'yellow', refused: 'red' } as const;

/**
 * The one way the console says how a change went. The theme names the close button and darkens the
 * text under a title (axe: button-name; Mantine's gray 6 is below WCAG AA); they are repeated here so
 * a notification stays accessible even where it is shown outside the themed tree.
 */
export function notify({
  tone = 'done',
  title,
  message,
  autoClose,
}: {
  tone?: keyof typeof COLOR;
  title?: string;
  message: string;
  /** Milliseconds before it goes; Mantine's default when left out. */
  autoClose?: number;
}): void {
  notifications.show({
    color: COLOR[tone],
    title,
    message,
    ...(autoClose === undefined ? {} : { autoClose }),
    closeButtonProps: { 'aria-label': 'Dismiss' },
    styles: { description: { color: 'var(--mantine-color-gray-8)' } },
  });
}

/** Says that something was done. */
export function notifyDone(message: string, options: { title?: string; autoClose?: number } = {}): void {
  notify({ message, ...options });
}

/** Says, in the API's words, that something was refused; the title says what. */
export function notifyRefused(error: unknown, title = 'Refused'): void {
  notify({ tone: 'refused', title, message: describeError(error) });
}
