/**
 * The language client and server speak one JSON-RPC: package-lock.json resolves a single
 * vscode-jsonrpc and a single vscode-languageserver-protocol, so the extension and the server
 * bundle the same version and the shared request types (src/server/protocol.ts) are the ones
 * both sides register.
 */
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

interface Lock {
  readonly packages: Readonly<Record<string, { readonly version?: string }>>;
}

/** Every version of `name` the lock file installs, anywhere in the tree. */
function lockedVersions(lock: Lock, name: string): string[] {
  const out = new Set<string>();
  for (const [key, entry] of Object.entries(lock.packages))
    if ((key === `node_modules/${name}` || key.endsWith(`/node_modules/${name}`)) && entry.version)
      out.add(entry.version);
  return [...out].sort();
}

const lock = JSON.parse(
  readFileSync(new URL('../../package-lock.json', import.meta.url), 'utf8'),
) as Lock;

for (const name of ['vscode-jsonrpc', 'vscode-languageserver-protocol'])
  test(`package-lock.json installs one version of ${name}`, () => {
    const versions = lockedVersions(lock, name);
    assert.equal(versions.length, 1, `${name}: ${versions.join(', ')}`);
  });
