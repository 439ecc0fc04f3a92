// One lint setup for the monorepo: typed rules that catch unawaited promises and value/type import mixups,
// and the package boundaries (scripts/eslint-rules/package-boundaries.mjs).
import tseslint from 'typescript-eslint';
import { isdPlugin } from './scripts/eslint-rules/package-boundaries.mjs';

export default tseslint.config(
  {
    ignores: ['**/dist/**', '**/build/**', '**/node_modules/**', '**/*.js', '**/*.mjs', '**/*.cjs'],
  },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { isd: isdPlugin },
    rules: {
      'isd/package-boundaries': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': ['error', { selector: 'ExportDefaultDeclaration', message: 'Use named exports.' }],
    },
  },
  {
    // Workspace builds leave tests out (they never ship); tsconfig.tests.json type-checks them.
    files: [
      '**/src/**/*.test.ts',
      'sidecars/autopilot/test/**/*.ts',
      'sidecars/visibility/test/**/*.ts',
      'sidecars/sapor/test/**/*.ts',
      'scripts/**/*.ts',
      'charts/scripts/**/*.ts',
    ],
    ignores: ['deck-plugin/**'],
    languageOptions: {
      parserOptions: {
        projectService: false,
        project: ['./tsconfig.tests.json'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
  },
);
