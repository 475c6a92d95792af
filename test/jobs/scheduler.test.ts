import { trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobScheduler, type Job } from '../../src/jobs/scheduler.js';
import { metricsRegistry } from '../../src/observability/metrics.js';
import { createLogger } from '../../src/observability/logger.js';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const logger = createLogger('silent');

beforeAll(() => {
  trace.setGlobalTracerProvider(provider);
});
afterAll(async () => {
  await provider.shutdown();
  trace.disable();
});

async function counter(name: string, job: string): Promise<number> {
  const metric = (await metricsRegistry.getMetricsAsJSON()).find((m) => m.name === name);
  return metric?.values.find((v) => v.labels.job === job)?.value ?? 0;
}

describe('job scheduler', () => {
  it('counts every run and every failure per job, and records a span per run', async () => {
    const scheduler = new JobScheduler(logger);
    const ok: Job = { name: 'test-ok', schedule: '0 0 0 1 1 *', run: async () => 'did it' };
    const broken: Job = {
      name: 'test-broken',
      schedule: '0 0 0 1 1 *',
      run: async () => {
        throw new Error('disk on fire');
      },
    };

    await scheduler.runOnce(ok);
    await scheduler.runOnce(broken);
    await scheduler.runOnce(broken);

    expect(await counter('job_runs_total', 'test-ok')).toBe(1);
    expect(await counter('job_failures_total', 'test-ok')).toBe(0);
    expect(await counter('job_runs_total', 'test-broken')).toBe(2);
    expect(await counter('job_failures_total', 'test-broken')).toBe(2);
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => s.name)).toEqual(['job test-ok', 'job test-broken', 'job test-broken']);
    expect(spans[1]!.status.message).toBe('disk on fire');
    expect(spans[1]!.events[0]!.name).toBe('exception');
  });

  it('polls a job again after each run and stops polling once stopped, waiting for the run in hand', async () => {
    const scheduler = new JobScheduler(logger);
    let runs = 0;
    let finishedAfterStop = false;
    let release!: () => void;
    const thirdRunStarted = new Promise<void>((resolve) => (release = resolve));
    const poller: Job = {
      name: 'test-poller',
      schedule: { everyMs: 1 },
      runAtStart: true,
      run: async () => {
        runs += 1;
        if (runs === 3) {
          release();
          await new Promise((resolve) => setTimeout(resolve, 50));
          finishedAfterStop = true;
        }
      },
    };

    scheduler.start([poller]);
    await thirdRunStarted;
    await scheduler.stop();

    expect(finishedAfterStop).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(runs).toBe(3);
  });
});
