// One lint for the whole workspace: type-aware rules, import cycles, warnings are failures
// (`npm run lint` runs with --max-warnings=0).
import js from '@eslint/js';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import { importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

/** Lint zones keeping one core domain folder from importing others (style.md). */
function boundary(domain, forbidden, why) {
  return [{ target: `packages/core/src/${domain}`, from: forbidden.map((other) => `packages/core/src/${other}`), message: why }];
}

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
    // Dependencies run one way (style.md): platform <- catalog <- ingest / feed <- admin, and
    // production code never reaches into testing/, an app, the bench or the test suites. Tests
    // beside a module may use testing/.
    files: ['packages/**/*.ts', 'apps/**/*.ts'],
    ignores: ['**/*.test.ts', '**/testing/**'],
    rules: {
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            ...boundary('platform', ['catalog', 'ingest', 'feed', 'admin'], 'platform is the base every domain builds on'),
            ...boundary('catalog', ['ingest', 'feed', 'admin'], 'catalog holds and lists videos; it knows nothing of how they arrive or who is told'),
            ...boundary('ingest', ['feed', 'admin'], 'ingest brings videos in; telling readers is the caller’s step (feed/)'),
            ...boundary('feed', ['ingest', 'admin'], 'feed tells readers of change; it does not fetch'),
            {
              target: 'packages/core/src',
              from: ['packages/core/src/testing', 'apps', 'bench', 'tests'],
              message: 'core is shared by both apps: it imports neither, nor test helpers',
            },
            { target: 'packages/youtube-sim/src', from: ['apps', 'bench', 'tests'], message: 'the simulator stands alone' },
            {
              target: 'packages/youtube-sim/src',
              from: 'packages/core/src',
              except: ['./platform/time'],
              message: 'the simulator shares only the Pacific-time helpers with core',
            },
            { target: 'apps/api/src', from: ['apps/worker', 'packages/core/src/testing'], message: 'the API reaches the worker only through core’s queue helpers' },
            { target: 'apps/worker/src', from: ['apps/api', 'packages/core/src/testing'], message: 'the worker never imports the API' },
          ],
        },
      ],
    },
  },
  {
    // The test suites share their tools through core's testing module, not through the bench.
    files: ['tests/**/*.ts'],
    rules: {
      'import-x/no-restricted-paths': ['error', { zones: [{ target: 'tests', from: 'bench', message: 'test tools live in packages/core/src/testing' }] }],
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
