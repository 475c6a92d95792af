import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';
import { HAS_PROMTOOL, PROMTOOL_NOTE } from '../support/promtool.js';

describe('Prometheus metrics', () => {
  let t: TestApp;
  let token: string;
  beforeAll(async () => {
    t = await createTestApp({ PROMETHEUS_ENABLED: 'true' });
    const org = await t.createOrg();
    token = await t.tokenFor(await t.createUser(org.id, 'scheduler'));
  });
  afterAll(() => t.close());

  it('counts requests by route template, method and status, and times them by route', async () => {
    await t.request(token, 'GET', '/api/v1/aircraft');
    await t.request(token, 'GET', '/api/v1/aircraft/00000000-0000-4000-8000-000000000000');

    const response = await t.request(undefined, 'GET', '/metrics');

    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    expect(response.body).toMatch(
      /requests_total\{route="\/api\/v1\/aircraft",method="GET",status="200"\} [1-9]/,
    );
    expect(response.body).toMatch(
      /requests_total\{route="\/api\/v1\/aircraft\/:id",method="GET",status="404"\} [1-9]/,
    );
    expect(response.body).toMatch(
      /request_duration_seconds_bucket\{le="0.5",route="\/api\/v1\/aircraft"\} [1-9]/,
    );
  });

  it('keeps unknown paths under one label value, so scanners cannot grow the label set', async () => {
    await t.request(undefined, 'GET', '/wp-admin/setup.php');

    const body = (await t.request(undefined, 'GET', '/metrics')).body;

    expect(body).not.toContain('wp-admin');
    expect(body).toMatch(/requests_total\{route="unmatched",method="GET",status="404"\}/);
  });

  it.skipIf(!HAS_PROMTOOL)(
    `passes promtool check metrics (names, types, help texts, label syntax)${PROMTOOL_NOTE}`,
    async () => {
      await t.request(token, 'GET', '/api/v1/aircraft');
      const body = (await t.request(undefined, 'GET', '/metrics')).body;

      // promtool comes with Debian's prometheus package; .ci/run installs it.
      const check = spawnSync('promtool', ['check', 'metrics'], { input: body, encoding: 'utf8' });

      expect(check.error).toBeUndefined();
      expect(`${check.stdout}${check.stderr}`).toBe('');
      expect(check.status).toBe(0);
    },
  );

  it('exposes the process, job, outbox and rate-limit metrics by their specified names', async () => {
    const body = (await t.request(undefined, 'GET', '/metrics')).body;

    for (const name of [
      'process_cpu_seconds_total',
      'nodejs_eventloop_lag_seconds',
      'job_runs_total',
      'job_failures_total',
      'outbox_events_processed_total',
      'outbox_events_failed_total',
      'rate_limit_rejections_total',
    ]) {
      expect(body).toContain(`# TYPE ${name} `);
    }
  });
});

describe('metrics switched off', () => {
  it('answers 404 at /metrics unless PROMETHEUS_ENABLED=true, in the envelope, saying how to enable it', async () => {
    const t = await createTestApp();
    try {
      const response = await t.request(undefined, 'GET', '/metrics');

      expect(response.statusCode).toBe(404);
      expect(response.json()).toMatchObject({ code: 'not_found', reason: 'METRICS_DISABLED' });
      expect(response.json<{ error: string }>().error).toContain('PROMETHEUS_ENABLED=true');
      expect(response.headers['x-request-id']).toBeDefined();
    } finally {
      await t.close();
    }
  });
});
