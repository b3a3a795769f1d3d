import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** The pure layers in dependency order: each may import only those before it. */
const PURE_CHAIN = ['core', 'primitives', 'layers', 'language', 'compiler', 'interop'];

/** What the language server (src/server) may not import. */
const SERVER_PATTERNS = [
  {
    group: ['vscode', 'vscode-languageclient*'],
    message: 'The language server runs outside VS Code: LSP only, no vscode API.',
  },
  {
    group: ['**/extension/**', '**/cli/**'],
    message: 'The server does not import the extension or the CLI (docs/architecture.md).',
  },
];

/** What runs in the web extension too (decision 0020) may not import. */
const WEB_PATTERNS = [
  {
    group: [
      'onnxruntime-*',
      'node:*',
      'fs',
      'path',
      'child_process',
      'os',
      'vscode-languageserver/node',
      'vscode-languageclient/node',
      '**/engine/**',
      '**/server/host',
      '**/server/server',
    ],
    message:
      'This module runs in the web extension too (decision 0020): keep Node, the disk and the trainer out.',
  },
];

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
  // The layers below the trainer stay pure (no vscode, no onnxruntime, no Node APIs), and each
  // imports only the layers before it in the chain: one block per folder.
  ...PURE_CHAIN.map((folder, i) => ({
    files: [`src/${folder}/**`],
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
              group: [
                ...PURE_CHAIN.slice(i + 1).map((above) => `**/${above}/**`),
                '**/ide/**',
                '**/views/**',
                '**/engine/**',
                '**/server/**',
                '**/extension/**',
                '**/cli/**',
              ],
              message: `Dependencies point one way: ${PURE_CHAIN.join(' ← ')} ← engine; src/${folder} imports only what is left of it (docs/architecture.md).`,
            },
          ],
        },
      ],
    },
  })),
  {
    // Editor features and graph data are pure functions of a checked file: no LSP, no VS Code,
    // no Node APIs, and nothing from the compiler or the trainer (docs/architecture.md).
    files: ['src/ide/**', 'src/views/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                'vscode',
                'vscode-languageserver*',
                'vscode-languageclient*',
                'onnxruntime-*',
                'node:*',
                'fs',
                'path',
                'child_process',
                'os',
              ],
              message: 'src/ide and src/views stay pure TypeScript and know nothing of LSP.',
            },
            {
              group: [
                '**/compiler/**',
                '**/engine/**',
                '**/server/**',
                '**/extension/**',
                '**/cli/**',
              ],
              message: 'src/ide and src/views sit on language/, below server/ and extension/.',
            },
          ],
        },
      ],
    },
  },
  {
    // The trainer and the Node-side file access sit below every program that uses them: no
    // editor, no LSP, and nothing from the programs on top (docs/architecture.md).
    files: ['src/engine/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['vscode', 'vscode-languageserver*', 'vscode-languageclient*'],
              message: 'src/engine runs in the trainer and the CLI too: no VS Code, no LSP.',
            },
            {
              group: ['**/server/**', '**/extension/**', '**/cli/**'],
              message:
                'server, extension and cli sit on top of engine, never below it (docs/architecture.md).',
            },
          ],
        },
      ],
      // The trainer sends the dashboard's data in the shapes webview/protocol.ts declares once:
      // types only, never webview code.
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/webview/**'],
              allowTypeImports: true,
              message: 'src/engine may use the webview protocol types, never webview code.',
            },
          ],
        },
      ],
    },
  },
  {
    // The language server and the CLI are programs on top: neither reaches into the other or
    // into the VS Code client; the server shares only types and request objects with it.
    files: ['src/server/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: SERVER_PATTERNS }],
    },
  },
  {
    files: ['src/cli/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['vscode', 'vscode-languageserver*', 'vscode-languageclient*'],
              message: 'The CLI runs in a terminal: no VS Code, no LSP.',
            },
            {
              group: ['**/extension/**', '**/server/**'],
              message:
                'The CLI does not import the extension or the server (docs/architecture.md).',
            },
          ],
        },
      ],
    },
  },
  {
    // Webviews are browser code: they share only webview/protocol.ts with the extension.
    files: ['webview/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                'vscode',
                'vscode-*',
                'onnxruntime-*',
                'node:*',
                'fs',
                'path',
                'child_process',
                'os',
              ],
              message: 'Webview code runs in the browser: no VS Code, Node or onnxruntime.',
            },
            {
              group: ['**/src/**'],
              message:
                'Only webview/protocol.ts crosses between webviews and the extension (docs/architecture.md).',
            },
          ],
        },
      ],
    },
  },
  {
    // The extension host never runs the checker: what it shows or trains from comes from the
    // language server's typed requests (src/server/protocol.ts). Types are fine, and so is the
    // text-only on-type cleanup of src/ide/format.ts (no check involved).
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
                '!**/ide/format',
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
  {
    // The language server's features and the web extension's worker run in a browser too
    // (decision 0020): no Node APIs, no disk, no trainer; the desktop's server.ts and host.ts add
    // those. (Placed after the src/server block, whose rule this one replaces for these files, so
    // it repeats that block's patterns.)
    files: [
      'src/server/features.ts',
      'src/server/platform.ts',
      'src/server/browser.ts',
      'src/server/state.ts',
      'src/server/convert.ts',
      'src/server/incremental.ts',
      'src/server/protocol.ts',
    ],
    rules: {
      'no-restricted-imports': ['error', { patterns: [...WEB_PATTERNS, ...SERVER_PATTERNS] }],
    },
  },
  {
    // The web extension's entry and the panels it shares with the desktop (decision 0024).
    files: [
      'src/extension/browser.ts',
      'src/extension/panels.ts',
      'src/extension/graphPanel.ts',
      'src/extension/graphGuards.ts',
      'src/extension/summaryPanel.ts',
      'src/extension/webview.ts',
      'src/extension/notify.ts',
    ],
    rules: {
      'no-restricted-imports': ['error', { patterns: WEB_PATTERNS }],
      'no-restricted-globals': [
        'error',
        ...['Buffer', 'process', 'require', '__dirname', '__filename', 'setImmediate'].map(
          (name) => ({ name, message: 'Node only: this module runs in the web extension too.' }),
        ),
      ],
    },
  },
);
