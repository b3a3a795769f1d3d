/**
 * `split`: cut a tensor into consecutive pieces along an axis (attrs axis, sizes). Its VJP is one
 * concat of the pieces' cotangents (zeros for unused pieces), so taking T slices of one tensor
 * costs O(T) in the backward pass, where T separate `slice`s would pad T full-size cotangents.
 * Recurrent lowerings use it for the time steps and the gate blocks.
 */
import { ops } from './ops';
import { registerPrimitive } from './registry';
import { attr, axis, fmt, intsAttr, node, numAttr } from './util';

registerPrimitive({
  name: 'split',
  doc: 'split along attr axis into pieces of attr sizes (they must add up to the axis length)',
  infer(inputs, attrs) {
    const x = inputs[0]!;
    const ax = axis(numAttr(attrs, 'axis'), x.shape.length);
    const sizes = intsAttr(attrs, 'sizes');
    if (sizes.reduce((a, b) => a + b, 0) !== x.shape[ax] || sizes.some((s) => s < 1))
      throw new Error(`split: sizes ${fmt(sizes)} do not partition axis ${ax} of ${fmt(x.shape)}`);
    return sizes.map((s) => ({ shape: x.shape.map((d, i) => (i === ax ? s : d)), dtype: x.dtype }));
  },
  vjp(a) {
    const o = ops(a.b);
    const x = a.inputs[0]!;
    const ax = axis(numAttr(a.attrs, 'axis'), x.shape.length);
    const parts = a.outputs.map((v, i) => a.cts[i] ?? o.zeros(v.shape, v.dtype));
    return [parts.length === 1 ? parts[0]! : o.concat(parts, ax)];
  },
  emit: (ctx, n) => {
    const ax = axis(numAttr(n.attrs, 'axis'), n.inTypes[0]!.shape.length);
    return [
      node('Split', [n.inputs[0]!, ctx.int64(intsAttr(n.attrs, 'sizes'))], n.outputs, [
        attr.i('axis', ax),
      ]),
    ];
  },
});
