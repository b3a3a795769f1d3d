/**
 * Indexing primitives: gather (embeddings), gather/scatter along an axis (max-pool and
 * loss gradients), their n-d forms, and one-hot. Scatters accumulate (`reduction="add"`,
 * opset 16+), which is what makes them the adjoints of the gathers: repeated indices sum.
 * Indices are int64 and non-negative.
 */
import { ops } from './ops';
import { registerPrimitive } from './registry';
import type { DType, TensorType } from './types';
import { attr, axis, fmt, node, numAttr, strAttr } from './util';

function expectIndices(t: TensorType | undefined, what: string): TensorType {
  if (!t || t.dtype !== 'int64') throw new Error(`${what}: indices must be int64`);
  return t;
}

registerPrimitive(
  {
    name: 'gather',
    doc: 'take slices of data along attr axis at int64 indices (embedding lookup)',
    infer(inputs, attrs) {
      const [d, i] = inputs;
      expectIndices(i, 'gather');
      const a = axis(numAttr(attrs, 'axis', 0), d!.shape.length);
      const s = d!.shape;
      return [{ shape: [...s.slice(0, a), ...i!.shape, ...s.slice(a + 1)], dtype: d!.dtype }];
    },
    vjp(a) {
      if (!a.needs[0]) return [undefined, undefined];
      const o = ops(a.b);
      const [data, idx] = a.inputs as [(typeof a.inputs)[0], (typeof a.inputs)[0]];
      const ct = a.cts[0]!;
      const ax = axis(numAttr(a.attrs, 'axis', 0), data.shape.length);
      if (ax === 0) {
        const ndIdx = o.reshape(idx, [...idx.shape, 1]);
        return [o.scatterNdAdd(o.zeros(data.shape, data.dtype), ndIdx, ct), undefined];
      }
      // Scatter ct (laid out [lead…, idx…, rest…]) in place with n-d indices (l₀, …, i): the
      // leading coordinates enumerated, then the gathered index. For constant indices the
      // index tensor is constant too (onnxruntime folds it), and ct needs no transpose.
      const lead = data.shape.slice(0, ax);
      const grid = [...lead, ...idx.shape, 1];
      const coords = lead.map((d, i) =>
        o.expand(
          o.constant(
            [...Array(d).keys()],
            grid.map((_, j) => (j === i ? d : 1)),
            'int64',
          ),
          grid,
        ),
      );
      const inner = o.expand(o.reshape(idx, [...lead.map(() => 1), ...idx.shape, 1]), grid);
      const nd = o.concat([...coords, inner], -1);
      return [o.scatterNdAdd(o.zeros(data.shape, data.dtype), nd, ct), undefined];
    },
    emit: (_ctx, n) => [
      node('Gather', n.inputs, n.outputs, [
        attr.i('axis', axis(numAttr(n.attrs, 'axis', 0), n.inTypes[0]!.shape.length)),
      ]),
    ],
  },
  {
    name: 'gather_elements',
    doc: 'out[…i…] = data[…indices[…i…]…] along attr axis; out has the shape of indices',
    infer(inputs, attrs) {
      const [d, i] = inputs;
      expectIndices(i, 'gather_elements');
      if (i!.shape.length !== d!.shape.length) throw new Error('gather_elements: rank mismatch');
      axis(numAttr(attrs, 'axis'), d!.shape.length);
      return [{ shape: i!.shape, dtype: d!.dtype }];
    },
    vjp(a) {
      if (!a.needs[0]) return [undefined, undefined];
      const o = ops(a.b);
      const [data, idx] = a.inputs as [(typeof a.inputs)[0], (typeof a.inputs)[0]];
      const ax = numAttr(a.attrs, 'axis');
      return [o.scatterAdd(o.zeros(data.shape, data.dtype), idx, a.cts[0]!, ax), undefined];
    },
    emit: (_ctx, n) => [
      node('GatherElements', n.inputs, n.outputs, [
        attr.i('axis', axis(numAttr(n.attrs, 'axis'), n.inTypes[0]!.shape.length)),
      ]),
    ],
  },
  {
    name: 'scatter_add',
    doc: 'data with updates added at indices along attr axis (ScatterElements, reduction add)',
    infer(inputs, attrs) {
      const [d, i, u] = inputs;
      expectIndices(i, 'scatter_add');
      if (fmt(i!.shape) !== fmt(u!.shape))
        throw new Error('scatter_add: indices and updates differ');
      if (u!.dtype !== d!.dtype) throw new Error('scatter_add: dtypes differ');
      axis(numAttr(attrs, 'axis'), d!.shape.length);
      return [{ ...d! }];
    },
    vjp(a) {
      const o = ops(a.b);
      const ct = a.cts[0]!;
      const ax = numAttr(a.attrs, 'axis');
      return [ct, undefined, a.needs[2] ? o.gatherElements(ct, a.inputs[1]!, ax) : undefined];
    },
    emit: (_ctx, n) => [
      node('ScatterElements', n.inputs, n.outputs, [
        attr.i('axis', axis(numAttr(n.attrs, 'axis'), n.inTypes[0]!.shape.length)),
        attr.s('reduction', 'add'),
      ]),
    ],
  },
  {
    name: 'gather_nd',
    doc: 'GatherND (batch_dims 0): out = data[indices[…, :]]',
    infer(inputs) {
      const [d, i] = inputs;
      expectIndices(i, 'gather_nd');
      const k = i!.shape.at(-1)!;
      if (k > d!.shape.length) throw new Error('gather_nd: index depth exceeds data rank');
      return [{ shape: [...i!.shape.slice(0, -1), ...d!.shape.slice(k)], dtype: d!.dtype }];
    },
    vjp(a) {
      if (!a.needs[0]) return [undefined, undefined];
      const o = ops(a.b);
      const data = a.inputs[0]!;
      return [o.scatterNdAdd(o.zeros(data.shape, data.dtype), a.inputs[1]!, a.cts[0]!), undefined];
    },
    emit: (_ctx, n) => [node('GatherND', n.inputs, n.outputs)],
  },
  {
    name: 'scatter_nd_add',
    doc: 'data with updates added at n-d indices (ScatterND, reduction add)',
    infer(inputs) {
      const [d, i, u] = inputs;
      expectIndices(i, 'scatter_nd_add');
      const k = i!.shape.at(-1)!;
      const want = [...i!.shape.slice(0, -1), ...d!.shape.slice(k)];
      if (fmt(want) !== fmt(u!.shape))
        throw new Error(`scatter_nd_add: updates ${fmt(u!.shape)}, expected ${fmt(want)}`);
      return [{ ...d! }];
    },
    vjp(a) {
      const o = ops(a.b);
      const ct = a.cts[0]!;
      return [ct, undefined, a.needs[2] ? o.gatherNd(ct, a.inputs[1]!) : undefined];
    },
    emit: (_ctx, n) => [node('ScatterND', n.inputs, n.outputs, [attr.s('reduction', 'add')])],
  },
  {
    name: 'one_hot',
    doc: 'int64 class indices → one-hot along a new last axis (attrs depth, dtype)',
    infer(inputs, attrs) {
      const i = expectIndices(inputs[0], 'one_hot');
      return [
        {
          shape: [...i.shape, numAttr(attrs, 'depth')],
          dtype: strAttr(attrs, 'dtype', 'float32') as DType,
        },
      ];
    },
    emit: (ctx, n) => [
      node(
        'OneHot',
        [
          n.inputs[0]!,
          ctx.int64([numAttr(n.attrs, 'depth')], []),
          ctx.float([0, 1], [2], n.outTypes[0]!.dtype),
        ],
        n.outputs,
        [attr.i('axis', -1)],
      ),
    ],
  },
);
