// ESLint flat config: typescript-eslint's recommended rules, plus import-x/no-cycle and
// import-x/no-restricted-paths so that dependencies between the rooms of src/ only point down
// (docs/architecture.md, "Rooms"): transport -> graphql -> services -> loaders -> neo4j -> domain.
import js from '@eslint/js';
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

/** The service rooms (and the loaders they read through): below src/graphql, src/transport and src/ingest. */
const SERVICES = ['recording', 'lineage', 'experiments', 'events', 'auth', 'governance', 'monitoring', 'loaders'];

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
    // The rooms of src/: imports only point down. A zone forbids its `target` to import `from`.
    files: ['src/**/*.ts'],
    rules: {
      'import-x/no-restricted-paths': [
        'error',
        {
          basePath: import.meta.dirname,
          zones: [
            { target: './src/domain', from: './src', except: ['./domain'], message: 'src/domain is pure: it imports nothing else from src.' },
            { target: './src/neo4j', from: './src', except: ['./neo4j', './domain', './config.ts'], message: 'src/neo4j imports only src/domain and src/config.ts.' },
            ...SERVICES.map((room) => ({
              target: `./src/${room}`,
              from: ['./src/graphql', './src/transport', './src/ingest', './src/server.ts', './src/main.ts'],
              message: 'services do not import the GraphQL layer, transport or ingest.',
            })),
            { target: './src/graphql', from: ['./src/transport', './src/ingest', './src/server.ts', './src/main.ts'], message: 'src/graphql does not import transport or ingest.' },
            { target: './src/ingest', from: ['./src/transport', './src/graphql', './src/server.ts', './src/main.ts'], message: 'src/ingest does not import transport or the GraphQL layer.' },
          ],
        },
      ],
    },
  },
  {
    // src/neo4j is below the GraphQL layer and must not depend on its packages either.
    files: ['src/neo4j/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['graphql', 'graphql/*', '@apollo/*'], message: 'src/neo4j must not import the GraphQL layer' }] }],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
