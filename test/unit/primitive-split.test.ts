/** The `split` primitive: ONNX Split output and its VJP (a concat, zeros for unused pieces). */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { grad } from '../../src/compiler/autodiff';
import { Graph } from '../../src/compiler/ir';
import { ops } from '../../src/primitives';
import { compile } from './helpers/ort';

it('split: values, and VJP = central differences (float64, one piece unused)', async () => {
  const g = new Graph();
  const o = ops(g);
  const x = g.input('x', [2, 6], 'float64');
  const [a, b, c] = g.opMulti('split', [x], { axis: 1, sizes: [1, 3, 2] }) as [
    ReturnType<Graph['input']>,
    ReturnType<Graph['input']>,
    ReturnType<Graph['input']>,
  ];
  assert.deepEqual(
    [a.shape, b.shape, c.shape],
    [
      [2, 1],
      [2, 3],
      [2, 2],
    ],
  );
  const loss = o.add(o.reduceSum(o.mul(a, a)), o.reduceSum(o.tanh(c)));
  g.output('loss', loss);
  g.output('b', b);
  g.output('dx', grad(g, loss, [x])[0]!);
  const r = await compile(g);
  const xv = Array.from({ length: 12 }, (_, i) => Math.sin(i + 0.3));
  const base = await r.run({ x: xv });
  assert.deepEqual([...base.b!], [xv[1], xv[2], xv[3], xv[7], xv[8], xv[9]]);
  const h = 1e-6;
  for (let i = 0; i < 12; i++) {
    const at = (d: number) => xv.map((v, j) => (j === i ? v + d : v));
    const fd =
      ((await r.run({ x: at(h) })).loss![0]! - (await r.run({ x: at(-h) })).loss![0]!) / (2 * h);
    assert.ok(Math.abs(fd - base.dx![i]!) < 1e-6, `${i}: ${fd} vs ${base.dx![i]}`);
  }
  await r.release();
});
