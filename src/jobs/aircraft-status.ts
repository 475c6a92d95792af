import type { AircraftService } from '../app/aircraft.js';
import type { Job } from './scheduler.js';

/**
 * Every minute, grounds the operational aircraft whose confirmed tasks came within their org's
 * grounding lead time, and returns automatically grounded ones to operational once no task needs
 * them on the ground — the time-driven half of the aircraft status workflow (task changes drive
 * the other half). Each change is audited as `system:aircraft-status`.
 */
export function aircraftStatusJob(
  aircraft: Pick<AircraftService, 'reconcileAll'>,
  now: () => Date = () => new Date(),
): Job {
  return {
    name: 'aircraft-status',
    schedule: '0 * * * * *',
    runAtStart: true,
    async run() {
      const { checked, changed } = await aircraft.reconcileAll(now());
      return `changed the status of ${changed} of ${checked} aircraft out of line with their tasks`;
    },
  };
}
