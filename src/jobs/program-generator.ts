import { systemActor } from '../app/actor.js';
import type { ProgramGenerationService } from '../app/program-generation.js';
import type { Job } from './scheduler.js';

/** The actor of the generator's audit rows. */
export const PROGRAM_GENERATOR_ACTOR = systemActor('program-generator');

/** setTimeout's limit (about 24.8 days); a longer interval would fire at once. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * At worker start and every `everyMs` (PROGRAM_GENERATION_INTERVAL, 6 h by default), creates the
 * scheduled tasks of every due maintenance program of every organization, audited as
 * `system:program-generator`. Several workers may run it at once: each program still gets one task.
 */
export function programGeneratorJob(
  generation: Pick<ProgramGenerationService, 'generateDue'>,
  options: { everyMs: number; now?: () => Date },
): Job {
  const now = options.now ?? (() => new Date());
  return {
    name: 'program-generator',
    schedule: { everyMs: Math.min(options.everyMs, MAX_TIMER_MS) },
    runAtStart: true,
    async run() {
      const { counts, skipped } = await generation.generateDue({
        now: now(),
        actor: PROGRAM_GENERATOR_ACTOR,
        summaryOnly: true,
      });
      return (
        `generated ${counts.generated} task(s) for due programs` +
        (counts.moved > 0 ? `, ${counts.moved} moved to the aircraft's next free window` : '') +
        (skipped.length > 0 ? `; ${skipped.length} left to the next run after a concurrent change` : '')
      );
    },
  };
}
