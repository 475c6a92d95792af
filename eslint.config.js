// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import reactHooks from 'eslint-plugin-react-hooks';

/** Layers above a module that it must not import (DESIGN.md "Dependency rule"). */
const layer = (/** @type {string[]} */ forbidden, /** @type {string[]} */ packages = []) => ({
  'no-restricted-imports': [
    'error',
    {
      patterns: [
        // Relative imports only (`../infra/…`), so packages such as @opentelemetry/api never match.
        ...forbidden.map((dir) => ({
          regex: `^(\\.\\./)+${dir}(/|$)`,
          message: `This layer must not import from ${dir}/ (see DESIGN.md, Layout).`,
        })),
        ...(packages.length
          ? [{ group: packages, message: 'The domain layer is pure: no I/O or framework imports.' }]
          : []),
      ],
    },
  ],
});

export default tseslint.config(
  // src/api/grpc/gen is generated from proto/amss.proto by `npm run proto`.
  // web/src/api/schema.d.ts is generated from the OpenAPI document by `npm run web:api`.
  {
    ignores: [
      'dist/**',
      'dist.*/**',
      'node_modules/**',
      'data/**',
      'coverage/**',
      'scratch/**',
      'src/api/grpc/gen/**',
      'web/dist/**',
      'web/dist.*/**',
      'web/src/api/schema.d.ts',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      // Fastify plugins and hooks are async by contract even when they await nothing.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['src/domain/**/*.ts'],
    rules: layer(
      ['app', 'infra', 'api', 'jobs', 'cmd', 'auth', 'observability', 'config'],
      [
        'fastify',
        'fastify/*',
        '@fastify/*',
        'kysely',
        'pg',
        'ioredis',
        '@electric-sql/*',
        'node:fs',
        'node:net',
        'node:http',
      ],
    ),
  },
  { files: ['src/app/**/*.ts'], rules: layer(['infra', 'api', 'jobs', 'cmd']) },
  // Adapters and interfaces meet only in cmd/, the composition root.
  { files: ['src/infra/**/*.ts'], rules: layer(['api', 'jobs', 'cmd']) },
  { files: ['src/api/**/*.ts'], rules: layer(['infra', 'jobs', 'cmd']) },
  { files: ['src/jobs/**/*.ts'], rules: layer(['infra', 'api', 'cmd']) },
  // The console: React's rules of hooks; it may import the server's pure domain (the RBAC table), nothing else.
  { files: ['web/src/**/*.{ts,tsx}'], ...reactHooks.configs.flat.recommended },
  {
    files: ['web/src/**/*.{ts,tsx}'],
    rules: layer(['src/app', 'src/infra', 'src/api', 'src/jobs', 'src/cmd']),
  },
  { files: ['**/*.{js,mjs}'], ...tseslint.configs.disableTypeChecked },
  {
    files: ['**/*.test.ts', 'test/**/*.ts', 'web/e2e/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off', '@typescript-eslint/unbound-method': 'off' },
  },
  prettier,
);
