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
              message: 'This layer must stay pure TypeScript (docs/architecture.md).',
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
);
