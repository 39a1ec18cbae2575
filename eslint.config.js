// ESLint flat config: typescript-eslint's recommended rules, plus import-x/no-cycle so that
// dependencies keep pointing inward (resolvers -> loaders/services -> queries -> executor).
import js from '@eslint/js';
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'web/dist/', 'test/screenshots/', 'src/generated/', 'neo4j/target/', '.tools/', '.data/', 'bench/.venv/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { 'import-x': importX },
    // Imports name real files ('./executor.ts'), so the plain node resolver finds them.
    settings: {
      'import-x/resolver': { node: { extensions: ['.ts', '.js'] } },
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/extensions': ['.ts', '.js'],
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // src/neo4j is below the GraphQL layer and must not depend on it.
    files: ['src/neo4j/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['graphql', 'graphql/*', '@apollo/*', '**/resolvers/**', '**/schema/**'], message: 'src/neo4j must not import the GraphQL layer' }] }],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
