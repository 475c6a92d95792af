import { systemActor } from '../app/actor.js';
import type { DueListService } from '../app/due-list.js';
import type { Job } from './scheduler.js';

/** The actor of the due tracker's audit rows. */
export const DIRECTIVE_DUE_TRACKER_ACTOR = systemActor('directive-due-tracker');

/** setTimeout's limit (about 24.8 days); a longer interval would fire at once. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * At worker start and every `everyMs` (DIRECTIVE_DUE_INTERVAL, 15 min by default), turns the
 * directive tracking rows of every organization whose limit is past (a date past, or the
 * aircraft's hours or cycles beyond the due) into `overdue`, each with its audit row and a
 * `directive_overdue` event, audited as `system:directive-due-tracker`. Several workers may run
 * it at once: each row is turned once.
 */
export function directiveDueTrackerJob(
  dueList: Pick<DueListService, 'markOverdue'>,
  options: { everyMs: number; now?: () => Date },
): Job {
  const now = options.now ?? (() => new Date());
  return {
    name: 'directive-due-tracker',
    schedule: { everyMs: Math.min(options.everyMs, MAX_TIMER_MS) },
    runAtStart: true,
    async run() {
      const turned = await dueList.markOverdue({ actor: DIRECTIVE_DUE_TRACKER_ACTOR, now: now() });
      return `marked ${turned} directive limit(s) overdue`;
    },
  };
}
