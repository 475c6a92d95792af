// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

/** Layers above a module that it must not import (DESIGN.md "Dependency rule"). */
const layer = (/** @type {string[]} */ forbidden, /** @type {string[]} */ packages = []) => ({
  'no-restricted-imports': [
    'error',
    {
      patterns: [
        ...forbidden.map((dir) => ({
          group: [`**/${dir}/**`, `**/${dir}`],
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
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'coverage/**', 'scratch/**'] },
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
  { files: ['src/infra/**/*.ts', 'src/api/**/*.ts', 'src/jobs/**/*.ts'], rules: layer(['cmd']) },
  { files: ['**/*.js'], ...tseslint.configs.disableTypeChecked },
  {
    files: ['**/*.test.ts', 'test/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off', '@typescript-eslint/unbound-method': 'off' },
  },
  prettier,
);
