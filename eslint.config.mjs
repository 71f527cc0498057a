// Lint: TypeScript rules plus the layer rule from DESIGN.md (who may import whom).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeBuiltins = ['node:*', 'fs', 'path', 'os', 'child_process', 'worker_threads', 'crypto', 'zlib', 'stream', 'http', 'net', 'url', 'util', 'events'];
const restrict = (patterns, message) => ({
  'no-restricted-imports': ['error', { patterns: patterns.map((group) => ({ group: [group], message })) }],
});

export default tseslint.config(
  { ignores: ['dist/**', 'release/**', 'node_modules/**', 'models/**', '.bench/**', 'test-results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: ['app/**/*.ts'],
    ignores: ['app/**/*.test.ts'],
    rules: restrict(
      [...nodeBuiltins, 'electron', 'react', 'react-dom', 'konva', 'react-konva', 'better-sqlite3', 'sharp', 'onnxruntime-node', 'ws', '**/main/**', '**/renderer/**', '../main/*', '../renderer/*', '../../main/*', '../../renderer/*', '**/test/**', '**/scripts/**'],
      'app/ is the pure domain layer: it may import app/ and pure libraries only, never test or benchmark code (DESIGN.md, Layers).',
    ),
  },
  {
    files: ['main/**/*.ts'],
    ignores: ['main/**/*.test.ts'],
    rules: restrict(
      ['react', 'react-dom', 'konva', 'react-konva', '**/renderer/**', '../renderer/*', '../../renderer/*', '../../../renderer/*', '**/test/**', '**/scripts/**'],
      'main/ may import app/, Node and native modules, never the renderer, and never test or benchmark code (DESIGN.md, Layers).',
    ),
  },
  {
    files: ['main/**/*.test.ts'],
    rules: restrict(
      ['react', 'react-dom', 'konva', 'react-konva', '**/renderer/**', '../renderer/*', '../../renderer/*', '../../../renderer/*'],
      'main/ may import app/, Node and native modules, never the renderer (DESIGN.md, Layers).',
    ),
  },
  {
    files: ['renderer/**/*.ts', 'renderer/**/*.tsx'],
    rules: restrict(
      [...nodeBuiltins, 'electron', 'better-sqlite3', 'sharp', 'onnxruntime-node', 'ws', '**/main/**', '../main/*', '../../main/*', '../../../main/*'],
      'renderer/ may import app/, DOM, React and Konva; it talks to main/ only through the contract (DESIGN.md, Layers).',
    ),
  },
  {
    // The renderer's client reads the type of what the Electron preload exposes from its one
    // definition in main/electron/preload-api.ts; a type import only, so no main/ code runs here.
    files: ['renderer/client.ts'],
    rules: {
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: [...nodeBuiltins, 'electron', 'better-sqlite3', 'sharp', 'onnxruntime-node', 'ws', '**/main/**', '!**/main/electron/preload-api'], message: 'renderer/ talks to main/ only through the contract.' },
            { group: ['**/main/electron/preload-api'], allowTypeImports: true, message: 'Only the PreloadApi type may come from main/.' },
          ],
        },
      ],
    },
  },
  {
    files: ['scripts/**/*.mjs', 'bin/**/*.mjs', 'eslint.config.mjs', 'vite.config.ts'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
