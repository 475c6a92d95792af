import { notifications } from '@mantine/notifications';
import { describeError } from '../api/errors';

// Notifications without a title (Mantine greys a titled notification's text below WCAG AA) and
// with a named close button (axe: button-name).
const closeButtonProps = { 'aria-label': 'Dismiss' };

/** Says that something was done. */
export function notifyDone(message: string): void {
  notifications.show({ color: 'teal', message, closeButtonProps });
}

/** Says, in the API's words, that something was refused. */
export function notifyRefused(what: string, error: unknown): void {
  notifications.show({ color: 'red', message: `${what}: ${describeError(error)}`, closeButtonProps });
}
