/**
 * model.py text (no torch needed; test/unit/pytorch-export.test.ts runs it in real PyTorch):
 * classes per model and block with the block parameters as constructor arguments, shape
 * comments from the checked model with symbolic dims kept, shared layers built once, repeats as
 * ModuleLists, doc comments as docstrings, and a clear message for what cannot be exported.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { generateModelPy, PytorchExportError } from '../../src/interop/pytorch';
import { checkText, memoryHost } from '../../src/language/program';

const root = resolve(__dirname, '../..');

function py(src: string, model: string): string {
  const r = checkText('/m.dlm', src, memoryHost({ '/m.dlm': src }));
  const errs = r.diagnostics.filter((d) => d.severity === 'error');
  assert.equal(errs.length, 0, errs.map((d) => d.message).join('\n'));
  return generateModelPy(r, model);
}

const example = (f: string) => readFileSync(resolve(root, 'examples', f), 'utf8');

describe('model.py', () => {
  it('ResNet-18: a BasicBlock class with its parameters and input channels as arguments', () => {
    const text = py(example('resnet18.dlm'), 'ResNet18');
    assert.match(text, /^class BasicBlock\(nn\.Module\):\n {4}"""ResNet basic block/m);
    assert.match(text, /def __init__\(self, c: int, stride: int = 1, \*, C: int\):/);
    assert.match(
      text,
      /self\.conv2d0 = nn\.Conv2d\(C, c, 3, stride=stride, padding=1, bias=False\)/,
    );
    assert.match(text, /if stride != 1 or C != c:\n {12}self\.conv2d2 = nn\.Conv2d\(C, c, 1/);
    assert.match(text, /if self\.stride != 1 or self\.C != self\.c:/);
    assert.match(text, /self\.basicblock0 = BasicBlock\(128, stride=2, C=64\)/);
    assert.match(
      text,
      /self\.repeat0 = nn\.ModuleList\(\n {12}nn\.ModuleDict\(\{\n {16}"basicblock0": BasicBlock\(64, C=64\),\n {12}\}\)\n {12}for _ in range\(2\)\n {8}\)/,
    );
    assert.match(text, /x = self\.conv2d0\(x\) {2}# \[B, 64, 112, 112\]/);
    // A block used with several shapes lists each once.
    assert.match(
      text,
      /h = self\.conv2d0\(x\) {2}# \[B, 64, 56, 56\] \| \[B, 128, 28, 28\] \| \[B, 256, 14, 14\] \| \[B, 512, 7, 7\]/,
    );
  });

  it('keeps symbolic dims symbolic in the shape comments', () => {
    const text = py(example('transformer.dlm'), 'TextTransformer');
    assert.match(text, /tokens = self\.embedding0\(tokens\) {2}# \[B, T, 128\]/);
    assert.match(
      text,
      /for step in self\.repeat0:\n {12}tokens = step\.transformerencoder0\(tokens\) {2}# \[B, T, 128\]/,
    );
  });

  it('builds a shared layer once and calls it at each use', () => {
    const text = py(example('weight_tying.dlm'), 'TiedMLP');
    assert.equal(text.match(/self\.shared = nn\.Linear\(64, 64\)/g)?.length, 1);
    assert.equal(text.match(/= self\.shared\(x\)/g)?.length, 2);
  });

  it('writes the first step of a repeat whose input size differs (C if i == 0 else c)', () => {
    const text = py(example('vgg16.dlm'), 'VGG16');
    assert.match(text, /nn\.Conv2d\(C if i == 0 else c, c, 3, padding=1\)/);
    assert.match(text, /self\.vggstage0 = VGGStage\(64, 2, C=3\)/);
  });

  it('says which block cannot be exported and why', () => {
    const src = `block Odd(c: int)(x: [B, C]) {
  x |> Dense(c) |> Dense(7)
}
model M(x: [B, 4]) -> [B, 7] {
  x |> Odd(3) |> Odd(5)
}
block Pair(c: int)(x: [B, C]) {
  x |> Dense(c + 1)
}
model N(x: [B, 4]) -> [B, 6] {
  x |> Pair(2) |> Pair(5)
}
`;
    // Dense(7)'s input size (3, then 5) is the parameter c: fine.
    assert.match(py(src, 'M'), /nn\.Linear\(c, 7\)/);
    // Pair's output size c + 1 comes from its source expression.
    assert.match(py(src, 'N'), /nn\.Linear\(C, c \+ 1\)/);
    // Flatten's size C·D (6, then 12) is neither a parameter, nor a size, nor one constant.
    const bad = `block Wrap(c: int)(x: [B, C, D]) {
  x |> Flatten |> Dense(c)
}
model V(x: [B, 2, 3]) -> [B, 4] {
  x |> Wrap(4) |> Reshape((2, 2)) |> Dense(4) |> Wrap(4)
}
`;
    assert.throws(
      () => py(bad, 'V'),
      (e: unknown) =>
        e instanceof PytorchExportError &&
        /^Dense in Wrap: its input size is 6, 8 in the uses of the block, which is neither one of its parameters or input sizes nor one constant/.test(
          e.message,
        ),
    );
  });
});
