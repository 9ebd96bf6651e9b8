import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/**
 * Import boundaries (DESIGN.md §3): core/ is pure and imports only core/; ingest/ and analysis/ see
 * the storage port, never an adapter; only main.ts (and tests, bench, the cli's local store) picks adapters.
 */
const adapters = ['**/storage/sqlite/**', '**/storage/postgres/**'];
const restrict = (patterns, message) => ['error', { patterns: [{ group: patterns, message }] }];

export default tseslint.config(
  { ignores: ['node_modules/**', 'data/**', 'coverage/**', '.tmp/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // The dashboard's pages are browser modules, served as they are.
    files: ['src/dashboard/public/**/*.js'],
    languageOptions: { globals: globals.browser, sourceType: 'module' },
  },
  {
    // Tests read JSON answers whose shape the assertions themselves check.
    files: ['**/*.test.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/core/**/*.ts'],
    ignores: ['src/core/**/*.test.ts'],
    rules: {
      'no-restricted-imports': restrict(
        [
          'node:*', 'fs', 'path', 'better-sqlite3', 'pg', 'fastify', 'zod',
          '**/storage/**', '**/http/**', '**/ingest/**', '**/analysis/**', '**/admin/**', '**/access/**',
          '**/sites/**', '**/maps/**', '**/privacy/**', '**/config.ts', '**/main.ts', '**/cli/**',
        ],
        'core/ is pure: no I/O, no other layer.',
      ),
      'no-restricted-globals': ['error', { name: 'Date', message: 'core/ takes time as a parameter.' }],
    },
  },
  {
    files: ['src/ingest/**/*.ts', 'src/import/**/*.ts', 'src/analysis/**/*.ts', 'src/sites/**/*.ts', 'src/admin/**/*.ts', 'src/access/**/*.ts', 'src/maps/**/*.ts', 'src/privacy/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': restrict([...adapters, '**/http/**', 'better-sqlite3', 'pg', 'fastify'], 'Use-cases see the storage port only.'),
    },
  },
  {
    files: ['src/http/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': restrict([...adapters, 'better-sqlite3', 'pg'], 'HTTP calls use-cases; adapters are wired in main.ts.'),
    },
  },
  {
    files: ['src/storage/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': restrict(['**/http/**', '**/ingest/**', '**/analysis/**'], 'Storage knows nothing of the layers above it.'),
    },
  },
);
