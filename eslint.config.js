import js from '@eslint/js';
import boundaries from 'eslint-plugin-boundaries';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

/**
 * The layers of src/ and which way they may depend (ARCHITECTURE.md): api → services →
 * (domain, db, queues); the domain imports nothing of the project; workers run services.
 */
const elements = [
  { type: 'domain', pattern: 'src/domain/**' },
  { type: 'generated', pattern: 'src/generated/**' },
  { type: 'db', pattern: 'src/db/**' },
  { type: 'queues', pattern: 'src/queues/**' },
  { type: 'channels', pattern: 'src/channels.ts', mode: 'file' },
  { type: 'services', pattern: 'src/services/**' },
  { type: 'workers', pattern: 'src/workers/**' },
  { type: 'api', pattern: 'src/api/**' },
  { type: 'dialer', pattern: 'src/dialer/**' },
  { type: 'client', pattern: 'src/client/**' },
  { type: 'infra', pattern: ['src/config.ts', 'src/logger.ts', 'src/metrics.ts', 'src/dependencies.ts', 'src/util/*.ts'], mode: 'file' },
  { type: 'app', pattern: ['src/system.ts', 'src/main.ts', 'src/cli.ts', 'src/cli-commands.ts', 'src/migrate.ts'], mode: 'file' },
];

const element = (type) => ({ element: { type } });
/** `from` may import the listed layers; a layer given as [type, 'type'] only for type imports. */
const may = (from, ...layers) => ({
  from: element(from),
  allow: layers.map((layer) => (Array.isArray(layer) ? { to: element(layer[0]), dependency: { kind: layer[1] } } : { to: element(layer) })),
});

export default tseslint.config(
  { ignores: ['dist/', 'sdk/dist/', 'src/generated/', 'src/client/openapi.ts', 'node_modules/', 'coverage/', '.scratch/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': ['error', { allow: ['error'] }],
    },
  },
  {
    files: ['src/**/*.ts'],
    plugins: { boundaries },
    settings: {
      'boundaries/elements': elements,
      // The single-file layers (config, logger, metrics, channels, the entry points) use the
      // plugin's `mode: 'file'`, which v7 still supports but announces as deprecated.
      'boundaries/legacy-warnings': false,
      'boundaries/include': ['src/**/*.ts'],
      'import/resolver': { typescript: { project: './tsconfig.json' } },
    },
    rules: {
      'boundaries/no-unknown-files': 'error',
      'boundaries/dependencies': [
        'error',
        {
          default: 'disallow',
          message: '{{from.type}} must not import {{to.type}} (ARCHITECTURE.md: api → services → domain, db, queues)',
          policies: [
            may('domain', 'domain'),
            may('generated', 'generated'),
            may('infra', 'infra', 'domain'),
            may('db', 'db', 'domain', 'generated', 'channels', 'infra'),
            may('queues', 'queues', 'domain', 'infra'),
            may('channels', 'db', 'queues', 'domain'),
            may('services', 'services', 'domain', 'db', 'queues', 'channels', 'infra'),
            may('workers', 'workers', 'services', 'queues', 'domain', 'infra'),
            may('api', 'api', 'services', 'domain', 'infra', ['db', 'type']),
            may('dialer', 'dialer', 'queues', 'domain'),
            // The typed client stands alone: its types are generated from the OpenAPI document.
            may('client', 'client'),
            may('app', 'app', 'api', 'services', 'workers', 'db', 'queues', 'domain', 'infra', 'channels', 'generated'),
          ],
        },
      ],
    },
  },
  {
    files: ['scripts/**', 'src/cli.ts', 'bench/**', 'test/**'],
    rules: { 'no-console': 'off' },
  },
  // Formatting is Prettier's (npm run lint checks it, npm run format applies it).
  prettier,
);
