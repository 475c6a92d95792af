import { SpanStatusCode, trace } from '@opentelemetry/api';
import { Cron } from 'croner';
import type { Logger } from '../observability/logger.js';
import { jobFailures, jobRuns } from '../observability/metrics.js';

/** A background job: a name, when it runs, and the work of one run. */
export interface Job {
  name: string;
  /**
   * Cron pattern (with seconds), e.g. `0 0 * * * *` for hourly; or `{ everyMs }` for a poller that
   * runs again that long after its previous run finished (outbox, deliveries).
   */
  schedule: string | { everyMs: number };
  /** Also run once right after start. */
  runAtStart?: boolean;
  /**
   * The work of one run. Its outcome is logged at info; a run that returns nothing (a poller that
   * found nothing to do) is logged at debug only, so an idle worker keeps a quiet log.
   */
  run(): Promise<string | void>;
}

const tracer = trace.getTracer('amss.jobs');

/**
 * Runs jobs on their schedules, never two runs of one job at once in this process, with a span,
 * `job_runs_total` and `job_failures_total` per run; `stop()` lets the runs in flight finish
 * (each job leaves nothing half-claimed when its run returns) and starts no new one.
 */
export class JobScheduler {
  private readonly crons: Cron[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly running = new Set<Promise<unknown>>();
  private stopped = false;

  constructor(private readonly logger: Logger) {}

  start(jobs: Job[]): void {
    for (const job of jobs) {
      if (typeof job.schedule === 'string') {
        const cron = new Cron(job.schedule, { name: job.name, protect: true, catch: false }, () =>
          this.runOnce(job),
        );
        this.crons.push(cron);
        if (job.runAtStart) void cron.trigger();
      } else {
        this.poll(job, job.schedule.everyMs, job.runAtStart ? 0 : job.schedule.everyMs);
      }
    }
  }

  private poll(job: Job, everyMs: number, delayMs: number): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.runOnce(job).then(() => this.poll(job, everyMs, everyMs));
    }, delayMs);
    this.timers.add(timer);
  }

  /** Runs a job now, logging its outcome; failures are logged and counted, never thrown. */
  async runOnce(job: Job): Promise<void> {
    if (this.stopped) return;
    const run = tracer.startActiveSpan(`job ${job.name}`, async (span) => {
      const started = Date.now();
      span.setAttribute('amss.job', job.name);
      jobRuns.inc({ job: job.name });
      try {
        const outcome = await job.run();
        const fields = { job: job.name, duration_ms: Date.now() - started, outcome };
        if (outcome === undefined) this.logger.debug(fields, 'job run finished');
        else this.logger.info(fields, 'job run finished');
      } catch (error) {
        jobFailures.inc({ job: job.name });
        span.recordException(error as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
        this.logger.error({ job: job.name, err: error }, 'job run failed');
      } finally {
        span.end();
      }
    });
    this.running.add(run);
    try {
      await run;
    } finally {
      this.running.delete(run);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const cron of this.crons) cron.stop();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await Promise.allSettled([...this.running]);
  }
}
