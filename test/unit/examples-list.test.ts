/**
 * Open Example (src/extension/examples.ts): only the bundled example files are listed, each
 * described by its model's doc comment, not a helper block's.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { listExamples, modelDescription } from '../../src/extension/examples';

const REPO = path.resolve(__dirname, '..', '..');

describe('Open Example', () => {
  it("describes each example by its model's doc comment, not a helper block's", () => {
    const list = new Map(listExamples(path.join(REPO, 'examples')).map((e) => [e.file, e]));
    assert.equal(
      list.get('resnet18.dlm')?.description,
      'ResNet-18 (He, Zhang, Ren & Sun, 2016, "Deep residual learning for image recognition"), as torchvision\'s `resnet18`.',
    );
    assert.match(list.get('separable.dlm')!.description, /^Two MobileNet-v1 separable blocks/);
    assert.match(list.get('mobilenet_v3_block.dlm')!.description, /^A small MobileNetV3-style/);
    for (const e of list.values()) {
      assert.ok(e.description, `${e.file} has a description`);
      assert.doesNotMatch(e.description, /basic block|^ResNet basic/i, e.file);
    }
  });

  it('lists regular .dlm files only: not a .dlm runs folder or other folders', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'dlm-examples-'));
    try {
      mkdirSync(path.join(dir, '.dlm', 'runs'), { recursive: true });
      mkdirSync(path.join(dir, 'folder.dlm'));
      writeFileSync(
        path.join(dir, 'b.dlm'),
        '/// Helper.\nblock H(x) {\n  x\n}\n/// B model.\nmodel B(x: [B, 2]) -> [B, 2] {\n  x\n}\n',
      );
      writeFileSync(path.join(dir, 'a.dlm'), 'model A(x: [B, 2]) -> [B, 2] {\n  x\n}\n');
      writeFileSync(path.join(dir, 'notes.txt'), '');
      assert.deepEqual(listExamples(dir), [
        { file: 'a.dlm', description: '' },
        { file: 'b.dlm', description: 'B model.' },
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the first sentence, over several doc lines', () => {
    assert.equal(
      modelDescription(
        '/// One two\n/// three. Four five.\nmodel M(x: [B, 1]) -> [B, 1] {\n  x\n}\n',
      ),
      'One two three.',
    );
  });
});
