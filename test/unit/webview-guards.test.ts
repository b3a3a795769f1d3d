/**
 * What the graph panel accepts from its webview (src/extension/graphGuards.ts) and the webview
 * CSP (src/extension/webview.ts). The panel itself is tested in real VS Code
 * (test/integration/graph.test.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  acceptModelName,
  acceptRestoredUri,
  acceptReveal,
  exportFileName,
} from '../../src/extension/graphGuards';
import { contentSecurityPolicy } from '../../src/extension/webview';

const RANGE = { start: { line: 1, character: 2 }, end: { line: 1, character: 8 } };

describe('graph webview messages', () => {
  const allowed = new Set(['/ws/net.dlm', '/ws/blocks/res.dlm']);

  it('reveal opens only the files the graph was built from', () => {
    assert.deepEqual(acceptReveal(allowed, { file: '/ws/net.dlm', range: RANGE }), {
      file: '/ws/net.dlm',
      range: RANGE,
    });
    assert.ok(acceptReveal(allowed, { file: '/ws/blocks/res.dlm', range: RANGE }));
    for (const file of ['/etc/passwd', '/ws/../etc/passwd', '/ws/net.dlm/', '', 42, undefined])
      assert.equal(acceptReveal(allowed, { file, range: RANGE }), undefined, String(file));
    assert.equal(acceptReveal(new Set(), { file: '/ws/net.dlm', range: RANGE }), undefined);
  });

  it('reveal needs a well-formed range', () => {
    const bad = [
      undefined,
      {},
      { start: { line: -1, character: 0 }, end: { line: 0, character: 0 } },
      { start: { line: 0.5, character: 0 }, end: { line: 0, character: 0 } },
      { start: { line: '1', character: 0 }, end: { line: 0, character: 0 } },
    ];
    for (const range of bad)
      assert.equal(acceptReveal(allowed, { file: '/ws/net.dlm', range }), undefined);
    assert.equal(acceptReveal(allowed, null), undefined);
  });

  it('a restored state names a document only when the extension recorded it', () => {
    const uri = 'file:///ws/net.dlm';
    assert.equal(acceptRestoredUri({ uri }, uri), uri);
    assert.equal(acceptRestoredUri({ uri }, undefined), undefined);
    assert.equal(acceptRestoredUri({ uri }, 'file:///ws/other.dlm'), undefined);
    // even a recorded uri must be a local .dlm file
    for (const u of ['file:///etc/passwd', 'https://x/y.dlm', 'file:///ws/a.dlm?x=1'])
      assert.equal(acceptRestoredUri({ uri: u }, u), undefined, u);
    assert.equal(acceptRestoredUri(undefined, uri), undefined);
    assert.equal(acceptRestoredUri({ uri: 7 }, uri), undefined);
  });

  it('model names and export file names are plain', () => {
    assert.equal(acceptModelName('LeNet5'), 'LeNet5');
    assert.equal(acceptModelName('../x'), undefined);
    assert.equal(acceptModelName({}), undefined);
    assert.equal(exportFileName('LeNet5.svg', 'svg'), 'LeNet5.svg');
    assert.equal(exportFileName('../../.bashrc', 'svg'), 'graph.svg');
    assert.equal(exportFileName('../../x.png', 'png'), 'x.png');
    assert.equal(exportFileName('x.svg', 'png'), 'graph.png');
    assert.equal(exportFileName(undefined, 'png'), 'graph.png');
  });
});

describe('webview CSP', () => {
  it('denies everything by default, <base> and form submissions included', () => {
    const csp = contentSecurityPolicy('vscode-resource:', 'N0nce');
    const directives = csp.split('; ');
    for (const d of [
      "default-src 'none'",
      "base-uri 'none'",
      "form-action 'none'",
      "script-src 'nonce-N0nce'",
    ])
      assert.ok(directives.includes(d), `${d} in ${csp}`);
  });
});
