// Lint: typescript-eslint with type information, so it catches promises nobody awaits or handles
// (floating, or passed where the callback's return is ignored) and code nothing uses.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'public/', 'data/', 'outbox/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['eslint.config.js', 'vitest.config.ts', 'bin/*.js', 'src/preview/*.js', 'src/render/*.js', 'src/search/*.js', 'templates/admin/*.js'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-unused-expressions': ['error', { allowShortCircuit: true, allowTernary: true }],
      // The Store and other interfaces are async so SQLite and PostgreSQL share them; the SQLite
      // side is synchronous inside, so an async method without await is the design, not a slip.
      '@typescript-eslint/require-await': 'off',
      // XML 1.0 and header checks must match control characters on purpose.
      'no-control-regex': 'off',
    },
  },
  {
    // Tests read what we emit back through independent parsers (JSON.parse, feed parsers), whose
    // results are `any` by nature; the assertions that follow are the type check.
    files: ['tests/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      // expect(store.method) and similar pass methods as values without calling them.
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  { files: ['bin/*.js', 'src/render/*.js'], languageOptions: { globals: { process: 'readonly' } } },
  // The MJML child is plain JavaScript (it starts without type stripping): no types to check it with.
  { files: ['src/render/*.js'], ...tseslint.configs.disableTypeChecked },
  { files: ['src/preview/*.js'], languageOptions: { globals: { window: 'readonly', EventSource: 'readonly' } } },
  // The console's browser script is plain JavaScript served as it is: no types to check it with.
  { files: ['templates/admin/*.js'], ...tseslint.configs.disableTypeChecked, languageOptions: { globals: { document: 'readonly', EventSource: 'readonly' } } },
  // The search box's browser module: plain JavaScript run by the reader's browser, no types to check it with.
  { files: ['src/search/*.js'], ...tseslint.configs.disableTypeChecked },
  { files: ['src/search/*.js'], languageOptions: { globals: { document: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly' } } },
);
