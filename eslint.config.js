// Lint rules for the whole monorepo: typescript-eslint's recommended set plus the type-aware
// rules that catch real bugs in async server code (floating promises, misused promises).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';

export default tseslint.config(
  {
    ignores: [
      'tmp/**',
      'runs/**',
      '**/node_modules/**',
      '**/dist/**',
      'coverage/**',
      'models/**',
      'test-artifacts/**',
      'e2e/artifacts/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      eqeqeq: ['error', 'always'],
    },
  },
  {
    // Apps stand on packages only: one app never reaches into another's sources (the CLI starts
    // the server through @nilm/server's public entry), and packages never import apps.
    files: ['apps/cli/**/*.ts', 'apps/web/**/*.{ts,tsx}', 'packages/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/server/src/**', '**/apps/**', '@nilm/server/*'],
              message: 'import a package, or @nilm/server (its public entry), not app sources',
            },
          ],
        },
      ],
    },
  },
  {
    // The web app runs in browsers; React's rules of hooks apply.
    files: ['apps/web/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: reactHooks.configs.flat.recommended.rules,
    languageOptions: { globals: globals.browser },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: globals.node },
  },
);
