/**
 * Learning-rate schedules against torch.optim.lr_scheduler 1.13 (test/fixtures/torch/optim.json,
 * `schedules`): StepLR, ExponentialLR, CosineAnnealingLR (also past t_max) stepped per epoch,
 * and warm-up as LambdaLR stepped per optimizer step.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { lrAt } from '../../src/compiler/schedules';
import type { AttrValue } from '../../src/layers/types';

interface ScheduleCase {
  id: string;
  schedule: { name: string; args: Record<string, AttrValue> };
  base_lr: number;
  per: 'epoch' | 'step';
  lrs: number[];
}

const cases = (
  JSON.parse(readFileSync(new URL('../fixtures/torch/optim.json', import.meta.url), 'utf8')) as {
    schedules: ScheduleCase[];
  }
).schedules;
const span = { start: 0, end: 0 };

describe('schedules match torch.optim.lr_scheduler', () => {
  for (const c of cases)
    it(c.id, () => {
      const spec = { ...c.schedule, span };
      c.lrs.forEach((want, i) => {
        // Per-epoch schedules: the step index must not matter (10 steps per epoch here).
        const got =
          c.per === 'epoch'
            ? lrAt(spec, c.base_lr, i, i * 10 + 7, 10)
            : lrAt(spec, c.base_lr, Math.floor(i / 3), i, 3);
        assert.ok(
          Math.abs(got - want) <= 1e-12 + 1e-10 * Math.abs(want),
          `${c.per} ${i}: ${got} vs ${want}`,
        );
      });
    });

  it('no schedule keeps the base rate', () => {
    assert.equal(lrAt(undefined, 0.3, 5, 100, 20), 0.3);
  });

  it('rejects unknown schedules and attributes, requires required ones', () => {
    assert.throws(() => lrAt({ name: 'OneCycle', args: {} }, 0.1, 0, 0), /unknown 'OneCycle'/);
    assert.throws(
      () => lrAt({ name: 'Step', args: { step_size: 2, decay: 0.5 } }, 0.1, 0, 0),
      /unknown attribute 'decay'/,
    );
    assert.throws(
      () => lrAt({ name: 'Cosine', args: {} }, 0.1, 0, 0),
      /required attribute 't_max'/,
    );
    const cos = { name: 'Cosine', args: { t_max: 2 } };
    assert.throws(
      () => lrAt({ ...cos, after: { name: 'Step', args: { step_size: 1 } } }, 0.1, 0, 0),
      /only Warmup takes one/,
    );
    assert.throws(
      () =>
        lrAt(
          { name: 'Warmup', args: { steps: 2 }, after: { name: 'Warmup', args: { steps: 1 } } },
          0.1,
          0,
          0,
        ),
      /not Warmup/,
    );
  });
});
