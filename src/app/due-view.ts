import type { Due } from '../domain/directive.js';

/** A due limit as the API, audit rows and events show it. */
export type DueView = { date: string | null; flight_hours: number | null; cycles: number | null };

/** A due limit as the API, audit rows and events show it. */
export const dueView = (due: Due): DueView => ({
  date: due.date,
  flight_hours: due.flightHours,
  cycles: due.cycles,
});
