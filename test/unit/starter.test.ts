/**
 * Training a model without a train section (issue 14, "Training any model"): the datasets that
 * fit it with their loss, the starter section text (also the "Add train section" code action's),
 * and the trainer training such a model on a chosen dataset.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { applyEdits, codeActions } from '../../src/ide/codeActions';
import { stripes } from '../../src/engine/datasets/synthetic';
import { datasetOptions, startOverrides } from '../../src/extension/trainingFeed';
import { TrainerSupervisor } from '../../src/engine/supervisor';
import { checkText, memoryHost } from '../../src/language/program';
import {
  checkWithSection,
  dataChoices,
  sectionDataChoices,
  trainSectionText,
} from '../../src/language/starter';

const F = '/w/a.dlm';
function choices(text: string, model: string) {
  const host = memoryHost({ [F]: text }, '/w');
  const r = checkText(F, text, host);
  return { list: dataChoices(r, F, model, host), r, host };
}

const CIFAR_CNN = `model SmallCNN(x: [B, 3, 32, 32]) -> [B, 10] {
  x
  |> Conv2d(16, 3, padding=1) |> ReLU |> MaxPool2d(2)
  |> Flatten
  |> Dense(10)
}
`;

describe('datasets that fit a model without a train section', () => {
  it('a CIFAR-shaped CNN gets the Stripes images; 8×8 digits models get Digits first', () => {
    assert.deepEqual(
      choices(CIFAR_CNN, 'SmallCNN').list.map((c) => [c.text, c.loss]),
      [['Stripes', 'CrossEntropy']],
    );
    const digits = choices(
      'model D(x: [B, 1, 8, 8]) -> [B, 10] {\n  x |> Flatten |> Dense(10)\n}\n',
      'D',
    ).list.map((c) => c.text);
    assert.deepEqual(digits, ['Digits', 'Stripes(channels=1, size=8)']);
  });

  it('a model with a train section: the datasets its section fits under its own loss', () => {
    // the dashboard's picker for a model that has a section: the checker decides, not a list
    const section = (data: string, loss: string) =>
      `${CIFAR_CNN}\ntrain SmallCNN {\n  data = ${data}\n  loss = ${loss}\n  epochs = 1\n}\n`;
    const of = (text: string) => {
      const host = memoryHost({ [F]: text }, '/w');
      const r = checkText(F, text, host);
      return sectionDataChoices(r, F, r.trains[0]!, host);
    };
    const cnn = of(section('Stripes(classes=10)', 'CrossEntropy(label_smoothing=0.1)'));
    assert.deepEqual(
      cnn.map((c) => c.text),
      ['Stripes'],
    );
    assert.match(
      cnn[0]!.loss,
      /^CrossEntropy\(label_smoothing=0\.1\b/,
      'checked under its own loss',
    );
    assert.equal(cnn[0]!.twoD, undefined);
    // 2-D points, 3 classes: the 3-class 2-D sets (not the 2-class Circles, Xor or Moons)
    const pts = of(
      'model S(x: [B, 2]) -> [B, 3] {\n  x |> Dense(8) |> ReLU |> Dense(3)\n}\ntrain S {\n  data = Spiral\n  loss = CrossEntropy\n}\n',
    );
    assert.deepEqual(
      pts.map((c) => c.text),
      ['Spiral', 'Gaussians'],
    );
    assert.ok(pts.every((c) => c.twoD));
  });

  it("the dashboard's picker for a model with a section: its data, then what fits, with the fitted arguments", () => {
    const text = `${CIFAR_CNN.replace('32, 32', '28, 28').replace('[B, 3,', '[B, 1,')}\ntrain SmallCNN {\n  data = own\n  loss = CrossEntropy\n}\ndata own = Npy("x.npy", "y.npy")\n`;
    const host = memoryHost({ [F]: text }, '/w');
    const r = checkText(F, text, host);
    const t = r.trains[0]!;
    const section = { ...t, dataChoices: sectionDataChoices(r, F, t, host) };
    const opts = datasetOptions(section);
    assert.deepEqual(
      opts.map((o) => o.id),
      ['decl:own', 'builtin:Stripes'],
      'no hand-written list: Spiral, Sine, Iris … do not fit a 1×28×28 image model',
    );
    // the trainer gets the arguments that make Stripes fit the model
    assert.deepEqual(startOverrides({ dataset: 'builtin:Stripes' }, [section]).dataset, {
      name: 'Stripes',
      args: { channels: 1, size: 28 },
    });
  });

  it('2-D points with 4 classes: the class count follows the output; regression gets MSE', () => {
    const s = choices(
      'model S(x: [B, 2]) -> [B, 4] {\n  x |> Dense(8) |> ReLU |> Dense(4)\n}\n',
      'S',
    );
    assert.deepEqual(
      s.list.map((c) => c.text),
      ['Spiral(classes=4)', 'Gaussians(classes=4)'],
      'Plane (one regression target) does not fit 4 outputs',
    );
    const r = choices(
      'model R(x: [B, 1]) -> [B, 1] {\n  x |> Dense(8) |> Tanh |> Dense(1)\n}\n',
      'R',
    );
    assert.deepEqual(
      r.list.map((c) => [c.text, c.loss]),
      [['Sine', 'MSE']],
    );
  });

  it("the file's data declarations come first; nothing fits a model with errors", () => {
    const text = CIFAR_CNN + '\ndata cifar = Npy("x.npy", "y.npy")\n';
    assert.deepEqual(
      choices(text, 'SmallCNN').list.map((c) => c.text),
      ['cifar', 'Stripes'],
    );
    assert.deepEqual(
      choices(CIFAR_CNN.replace('Dense(10)', 'Dense(10, in=5)'), 'SmallCNN').list,
      [],
    );
  });

  it('the starter section uses the model name, the dataset and the loss, and checks clean', () => {
    const { list, r, host } = choices(CIFAR_CNN, 'SmallCNN');
    const text = trainSectionText('SmallCNN', list[0]!);
    assert.equal(
      text,
      'train SmallCNN {\n  data = Stripes\n  loss = CrossEntropy\n  optimizer = Adam(lr=1e-3)\n  epochs = 10\n  batch = 32\n  metrics = [accuracy]\n}\n',
    );
    const checked = checkWithSection(r, F, text, host);
    assert.equal(checked.error, undefined);
    assert.equal(checked.train?.model, 'SmallCNN');
    assert.equal(checked.train?.data?.name, 'Stripes');
  });
});

describe('the "Add train section" code action', () => {
  it('inside a model without a section: writes one after it, and the file then checks clean', () => {
    const text = CIFAR_CNN + '\nmodel Other(x: [B, 2]) -> [B, 2] {\n  x |> Dense(2)\n}\n';
    const host = memoryHost({ [F]: text }, '/w');
    const r = checkText(F, text, host);
    const at = text.indexOf('Conv2d');
    const actions = codeActions(r, F, { start: at, end: at }, host);
    const add = actions.find((a) => a.title.startsWith('Add train section'))!;
    assert.equal(add.title, 'Add train section (Stripes, CrossEntropy)');
    assert.equal(add.kind, 'refactor');
    const after = applyEdits(text, add.edits);
    assert.ok(
      after.includes('}\n\ntrain SmallCNN {\n  data = Stripes\n'),
      'right after the model, with its name',
    );
    const r2 = checkText(F, after, memoryHost({ [F]: after }, '/w'));
    assert.deepEqual(
      r2.diagnostics.filter((d) => d.severity === 'error'),
      [],
    );
    assert.equal(r2.trains[0]?.model, 'SmallCNN');
    // with the section written, it is not offered again; nor outside a model, nor without a host
    const again = codeActions(r2, F, { start: at, end: at }, memoryHost({ [F]: after }, '/w'));
    assert.ok(!again.some((a) => a.title.startsWith('Add train section')));
    assert.ok(!codeActions(r, F, { start: at, end: at }).some((a) => a.kind === 'refactor'));
  });
});

describe('Stripes', () => {
  it('is seeded, balanced, in [0, 1] up to the noise, and shaped [channels, size, size]', () => {
    const a = stripes({ points: 20, classes: 4, channels: 2, size: 6, seed: 3 });
    const b = stripes({ points: 20, classes: 4, channels: 2, size: 6, seed: 3 });
    assert.deepEqual(a.xShape, [2, 6, 6]);
    assert.equal(a.x.length, 20 * 72);
    assert.deepEqual([...a.y].filter((y) => y === 0).length, 5);
    assert.deepEqual(a.x, b.x);
    const clean = stripes({ points: 8, noise: 0, size: 4 });
    assert.ok(clean.x.every((v) => v >= 0 && v <= 1));
  });
});

describe('the trainer trains a model without a train section', () => {
  it('on the dataset the dashboard chose, recording the settings in config.json', async () => {
    const ws = mkdtempSync(path.join(tmpdir(), 'dlm-starter-'));
    writeFileSync(
      path.join(ws, 'm.dlm'),
      'model Tiny(x: [B, 1, 8, 8]) -> [B, 3] {\n  x |> Conv2d(4, 3, padding=1) |> ReLU |> Flatten |> Dense(3)\n}\n',
    );
    const ROOT = path.join(__dirname, '..', '..');
    const sup = new TrainerSupervisor({
      entry: path.join(ROOT, 'src/engine/trainer.ts'),
      execArgv: ['--import', 'tsx'],
      cwd: ROOT,
    });
    try {
      await sup.ready;
      sup.start({
        workspaceRoot: ws,
        modelPath: 'm.dlm',
        model: 'Tiny',
        overrides: {
          dataset: { name: 'Stripes', args: { points: 30, classes: 3, channels: 1, size: 8 } },
          epochs: 1,
        },
        threads: 1,
      });
      const fin = await sup.next('finished', undefined, 120_000);
      assert.equal(fin.reason, 'completed');
      const config = JSON.parse(readFileSync(path.join(fin.runDir, 'config.json'), 'utf8'));
      assert.equal(config.train.data.name, 'Stripes');
      assert.equal(config.train.loss.name, 'CrossEntropy');
      assert.equal(config.train.optimizer.name, 'Adam');
      assert.equal(config.dataset.name, 'Stripes');
    } finally {
      await sup.shutdown();
      rmSync(ws, { recursive: true, force: true });
    }
  });
});
