import type { AlertTriggerService } from '../app/alert-triggers.js';
import type { Job } from './scheduler.js';

/** setTimeout's limit (about 24.8 days); a longer interval would fire at once. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * At worker start and every `everyMs` (ALERT_EVALUATION_INTERVAL, 5 min by default): evaluates
 * every alert condition of every organization (raising, worsening and auto-resolving alerts),
 * then escalates the alerts left unacknowledged past their org's `alert_escalation_after`, all
 * audited as `system:alert-triggers`. Several workers may run it at once: each alert changes once.
 */
export function alertTriggersJob(
  triggers: Pick<AlertTriggerService, 'evaluate' | 'escalate'>,
  options: { everyMs: number; now?: () => Date },
): Job {
  const now = options.now ?? (() => new Date());
  return {
    name: 'alert-triggers',
    schedule: { everyMs: Math.min(options.everyMs, MAX_TIMER_MS) },
    runAtStart: true,
    async run() {
      const at = now();
      const counts = await triggers.evaluate(at);
      const escalated = await triggers.escalate(at);
      return `raised ${counts.raised}, louder ${counts.levelChanged}, resolved ${counts.resolved}, escalated ${escalated} alert(s)`;
    },
  };
}
