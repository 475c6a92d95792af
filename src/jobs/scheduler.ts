import { Cron } from 'croner';
import type { Logger } from '../observability/logger.js';

/** A background job: a name, a cron pattern and the work of one run. */
export interface Job {
  name: string;
  /** Cron pattern (with seconds), e.g. `0 0 * * * *` for hourly. */
  schedule: string;
  /** Also run once right after start. */
  runAtStart?: boolean;
  run(): Promise<string | void>;
}

/**
 * Runs jobs on their schedules, never two runs of one job at once in this process
 * (`protect`), and stops cleanly: `stop()` waits for the runs in flight.
 */
export class JobScheduler {
  private readonly crons: Cron[] = [];
  private readonly running = new Set<Promise<unknown>>();

  constructor(private readonly logger: Logger) {}

  start(jobs: Job[]): void {
    for (const job of jobs) {
      const cron = new Cron(job.schedule, { name: job.name, protect: true, catch: false }, () =>
        this.runOnce(job),
      );
      this.crons.push(cron);
      if (job.runAtStart) void cron.trigger();
    }
  }

  /** Runs a job now, logging its outcome; failures are logged, never thrown. */
  async runOnce(job: Job): Promise<void> {
    const started = Date.now();
    const run = job.run();
    this.running.add(run);
    try {
      const outcome = await run;
      this.logger.info({ job: job.name, duration_ms: Date.now() - started, outcome }, 'job run finished');
    } catch (error) {
      this.logger.error({ job: job.name, err: error }, 'job run failed');
    } finally {
      this.running.delete(run);
    }
  }

  async stop(): Promise<void> {
    for (const cron of this.crons) cron.stop();
    await Promise.allSettled([...this.running]);
  }
}
