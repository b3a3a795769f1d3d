/** The ESLint boundary rules reject an import against the dependency direction in every layer. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import path from 'node:path';
import { ESLint } from 'eslint';

const ROOT = path.resolve(__dirname, '..', '..');

async function violations(file: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: ROOT });
  const [r] = await eslint.lintText(code, { filePath: path.join(ROOT, file) });
  return r!.messages
    .filter((m) => /(^|\/)no-restricted-imports$/.test(m.ruleId ?? ''))
    .map((m) => m.message);
}

const cases: [string, string][] = [
  ['src/core/scratch.ts', `import * as fs from 'node:fs';\nexport const x = fs;\n`],
  ['src/core/scratch2.ts', `import { x } from '../primitives/util';\nexport const y = x;\n`],
  ['src/primitives/scratch.ts', `import { x } from '../layers/types';\nexport const y = x;\n`],
  ['src/primitives/scratch2.ts', `import * as fs from 'node:fs';\nexport const y = fs;\n`],
  ['src/layers/scratch.ts', `import { x } from '../engine/loop';\nexport const y = x;\n`],
  ['src/layers/scratch2.ts', `import { x } from '../language/program';\nexport const y = x;\n`],
  ['src/language/scratch.ts', `import { x } from '../compiler/program';\nexport const y = x;\n`],
  ['src/language/scratch2.ts', `import { x } from '../ide/hover';\nexport const y = x;\n`],
  [
    'src/compiler/scratch2.ts',
    `import { x } from '../interop/safetensors';\nexport const y = x;\n`,
  ],
  ['src/compiler/scratch.ts', `import * as vscode from 'vscode';\nexport const y = vscode;\n`],
  ['src/interop/scratch.ts', `import * as fs from 'fs';\nexport const y = fs;\n`],
  [
    'src/ide/scratch.ts',
    `import { Connection } from 'vscode-languageserver';\nexport type C = Connection;\n`,
  ],
  ['src/ide/scratch2.ts', `import { x } from '../compiler/program';\nexport const y = x;\n`],
  ['src/views/scratch.ts', `import { x } from '../server/server';\nexport const y = x;\n`],
  ['src/engine/scratch.ts', `import { x } from '../cli/common';\nexport const y = x;\n`],
  ['src/engine/scratch2.ts', `import * as vscode from 'vscode';\nexport const y = vscode;\n`],
  ['src/server/scratch.ts', `import { x } from '../extension/client';\nexport const y = x;\n`],
  ['src/server/scratch2.ts', `import * as vscode from 'vscode';\nexport const y = vscode;\n`],
  ['src/cli/scratch.ts', `import { x } from '../server/host';\nexport const y = x;\n`],
  ['src/extension/scratch.ts', `import { x } from '../language/program';\nexport const y = x;\n`],
  ['webview/graph/scratch.ts', `import { x } from '../../src/core';\nexport const y = x;\n`],
  ['webview/graph/scratch2.ts', `import * as fs from 'node:fs';\nexport const y = fs;\n`],
];

for (const [file, code] of cases)
  test(`a deliberate violation in ${file} fails lint`, async () => {
    assert.ok((await violations(file, code)).length > 0);
  });

test('an allowed import passes', async () => {
  assert.deepEqual(
    await violations(
      'src/ide/scratch.ts',
      `import { CODES } from '../core';\nexport const c = CODES;\n`,
    ),
    [],
  );
  assert.deepEqual(
    await violations(
      'webview/graph/scratch.ts',
      `import type { GraphData } from '../protocol';\nexport type G = GraphData;\n`,
    ),
    [],
  );
});

// The panels the web extension shares with the desktop (decision 0024): no Node module, no Node
// global. Linted as the real files' text, since the rule names those files.
test('the shared panels reject Node modules and Node globals', async () => {
  const eslint = new ESLint({ cwd: ROOT });
  const rules = async (file: string, code: string): Promise<(string | null)[]> => {
    const [r] = await eslint.lintText(code, { filePath: path.join(ROOT, file) });
    return r!.messages.map((m) => m.ruleId);
  };
  assert.ok(
    (
      await rules(
        'src/extension/panels.ts',
        `import * as fs from 'node:fs';\nexport const y = fs;\n`,
      )
    ).includes('no-restricted-imports'),
  );
  assert.ok(
    (
      await rules(
        'src/extension/graphPanel.ts',
        `export const b = Buffer.from('aGk=', 'base64');\n`,
      )
    ).includes('no-restricted-globals'),
  );
  assert.ok(
    (
      await rules('src/extension/webview.ts', `export const n = require('node:crypto');\n`)
    ).includes('no-restricted-globals'),
  );
  // the desktop-only modules may use Node
  assert.ok(
    !(
      await rules('src/extension/training.ts', `export const b = Buffer.from('aGk=', 'base64');\n`)
    ).includes('no-restricted-globals'),
  );
});
