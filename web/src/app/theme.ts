import {
  Anchor,
  createTheme,
  Modal,
  MultiSelect,
  Notification,
  Select,
  type CSSVariablesResolver,
} from '@mantine/core';

export const theme = createTheme({
  primaryColor: 'indigo',
  // Indigo 6 on white (buttons, links) is 4:1; shade 8 passes WCAG AA for small text.
  primaryShade: { light: 8, dark: 6 },
  defaultRadius: 'sm',
  // A user who asks their system for less motion gets no transitions.
  respectReducedMotion: true,
  fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
  components: {
    // Links inside text must not rely on colour alone (WCAG 1.4.1).
    Anchor: Anchor.extend({ defaultProps: { underline: 'always' } }),
    // Every close and clear button gets a name a screen reader can say (axe: button-name); the
    // notification's text is darker than Mantine's default gray 6 (3.3:1) for WCAG AA.
    Notification: Notification.extend({
      defaultProps: { closeButtonProps: { 'aria-label': 'Dismiss' } },
      styles: { description: { color: 'var(--mantine-color-gray-8)' } },
    }),
    Modal: Modal.extend({ defaultProps: { closeButtonProps: { 'aria-label': 'Close' } } }),
    Select: Select.extend({ defaultProps: { clearButtonProps: { 'aria-label': 'Clear' } } }),
    MultiSelect: MultiSelect.extend({ defaultProps: { clearButtonProps: { 'aria-label': 'Clear' } } }),
  },
});

/**
 * Secondary text at Mantine's default gray 6 is 3.3:1 on white, below WCAG AA's 4.5:1 for small
 * text; gray 7 reads well on a hangar tablet in daylight too.
 */
export const cssVariablesResolver: CSSVariablesResolver = () => ({
  variables: {},
  light: { '--mantine-color-dimmed': 'var(--mantine-color-gray-7)' },
  dark: {},
});
