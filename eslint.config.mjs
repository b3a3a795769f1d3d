import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules', 'dist', '.cache', 'test-results', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'no-restricted-imports': 'off',
    },
  },
  {
    // The layers below the trainer stay pure: no vscode, no onnxruntime, no Node APIs.
    files: [
      'src/core/**',
      'src/primitives/**',
      'src/layers/**',
      'src/language/**',
      'src/compiler/**',
      'src/interop/**',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['vscode', 'onnxruntime-*', 'node:*', 'fs', 'path', 'child_process', 'os'],
              message: 'This layer must stay pure TypeScript (ARCHITECTURE.md).',
            },
            {
              group: ['**/engine/**', '**/server/**', '**/extension/**', '**/cli/**'],
              message:
                'Dependencies point one way: core ← primitives ← layers ← language ← compiler ← engine.',
            },
          ],
        },
      ],
    },
  },
  {
    // The extension host never runs the checker: what it shows or trains from comes from the
    // language server's typed requests (src/server/protocol.ts). Types are fine.
    files: ['src/extension/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '**/language/*',
                '**/compiler/*',
                '**/ide/*',
                '**/views/*',
                '**/engine/compile',
                '**/engine/program',
                '**/engine/loop',
                '**/engine/trainer',
              ],
              allowTypeImports: true,
              message:
                'The extension host does not run the checker or the compiler: ask the language server (src/server/protocol.ts `Requests`), or the trainer process.',
            },
          ],
        },
      ],
    },
  },
);
