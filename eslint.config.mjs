// One lint setup for the monorepo: typed rules that catch unawaited promises and value/type import mixups,
// and the package boundaries (scripts/eslint-rules/package-boundaries.mjs).
import tseslint from 'typescript-eslint';
import { isdPlugin } from './scripts/eslint-rules/package-boundaries.mjs';

/** Identifiers that hold names users choose: user, role, group and application names, a token's key id. */
const USER_KEY =
  '/^(user|users|userName|username|userId|login|principal|role|roleName|group|groupName|approver|actor|application|app|appName|account|accountName|endpoint|provider|providerName|template|templateName|policy|policyName|label|labelName|scopeKey|kid)$/';

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
    // Prototype-safe data (issue 19): a key a user controls (user, role, group, application names) never
    // indexes a plain object, where `constructor` or `__proto__` would find Object.prototype's members.
    // Keep such data in a Map (or a null-prototype object read with Object.hasOwn).
    files: ['sidecars/*/src/**/*.ts', 'controller/src/**/*.ts', 'agent/src/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: 'ExportDefaultDeclaration', message: 'Use named exports.' },
        {
          selector: `MemberExpression[computed=true][property.type='Identifier'][property.name=${USER_KEY}]`,
          message: 'A user-controlled name indexes an object: use a Map (prototype-safe data, issue 19).',
        },
        {
          selector: `MemberExpression[computed=true][property.type='MemberExpression'][property.property.name=${USER_KEY}]`,
          message: 'A user-controlled name indexes an object: use a Map (prototype-safe data, issue 19).',
        },
      ],
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
