// One lint for the whole workspace: type-aware rules, import cycles, warnings are failures
// (`npm run lint` runs with --max-warnings=0).
import js from '@eslint/js';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import { importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'coverage/**', '**/public/**', 'bench/results*.json'] },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        project: './tsconfig.check.json',
        tsconfigRootDir: import.meta.dirname,
      },
    },
    plugins: { 'import-x': importX },
    settings: {
      ...importX.flatConfigs.typescript.settings,
      'import-x/resolver': undefined,
      'import-x/resolver-next': [
        createTypeScriptImportResolver({ project: './tsconfig.check.json', conditionNames: ['@tubefeed/source', 'types', 'import', 'node', 'default'] }),
      ],
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/only-throw-error': 'error',
      '@typescript-eslint/return-await': ['error', 'in-try-catch'],
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-self-import': 'error',
      'no-console': 'error',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  {
    // Test files may use non-null assertions and loosely typed fixtures.
    files: ['**/*.test.ts', '**/testing/**'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    // Migrations are written against Kysely<any> on purpose: they must not depend on the
    // current shape of the app's types, which changes after them.
    files: ['**/db/migrations/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // The dashboard's browser modules (apps/api/web): their own tsconfig (DOM lib, no Node types)
    // and browser globals. The TypeScript compiler checks names against lib.dom; the list is for
    // the core rules that look at globals.
    files: ['apps/api/web/**/*.ts'],
    languageOptions: {
      parserOptions: { project: './apps/api/web/tsconfig.json', tsconfigRootDir: import.meta.dirname },
      globals: Object.fromEntries(
        [
          'window', 'document', 'location', 'history', 'navigator', 'console', 'fetch', 'Request', 'Response',
          'Headers', 'URL', 'URLSearchParams', 'IntersectionObserver', 'Intl', 'setTimeout', 'clearTimeout',
          'setInterval', 'clearInterval', 'requestAnimationFrame', 'Node', 'Element', 'HTMLElement', 'Event',
        ].map((name) => [name, 'readonly']),
      ),
    },
  },
  {
    files: ['eslint.config.js'],
    ...tseslint.configs.disableTypeChecked,
  },
);
