// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import { layers } from './tools/eslint-layers.mjs';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.oms-data/**', '*.js', '*.mjs'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    languageOptions: { parserOptions: { project: false } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'off',
      'no-console': 'off',
    },
  },
  {
    // Node scripts outside the TypeScript build (the start-up build check, the lint rule itself).
    files: ['scripts/**/*.js', 'scripts/**/*.mjs', 'tools/**/*.mjs'],
    languageOptions: {
      globals: { require: 'readonly', process: 'readonly', __dirname: 'readonly', console: 'readonly', URL: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Libraries never import apps; apps meet only in the composition root (apps/oms).
    plugins: { oms: { rules: { layers } } },
    rules: { 'oms/layers': 'error' },
  },
  {
    // The domain is pure: no framework, no I/O, no clock, no randomness.
    files: ['libs/domain/**/*.ts'],
    ignores: ['libs/domain/**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@nestjs/*'], message: 'libs/domain is pure: no NestJS.' },
            { group: ['@eventstore/*', '@kurrent/*'], message: 'libs/domain is pure: no event store client.' },
            { group: ['typeorm', 'typeorm/*'], message: 'libs/domain is pure: no TypeORM.' },
            { group: ['pg', 'pg/*', 'pg-*'], message: 'libs/domain is pure: no database driver.' },
            { group: ['fs', 'fs/*', 'node:*', 'net', 'http', 'https', 'child_process'], message: 'libs/domain is pure: no I/O.' },
            { group: ['@oms/*', '!@oms/domain'], message: 'libs/domain depends on nothing else in the repo.' },
          ],
        },
      ],
      'no-restricted-syntax': [
        'error',
        { selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']", message: 'Pass time in as data (metadata.now).' },
        { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'Pass time in as data (metadata.now).' },
        { selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']", message: 'No randomness in the domain.' },
      ],
    },
  },
);
