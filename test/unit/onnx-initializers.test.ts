import assert from 'node:assert/strict';
import { test } from 'node:test';
import { onnx } from 'onnx-proto';
import { OnnxReadError, readOnnxInitializers } from '../../src/interop/onnx/initializers';
import { toFloat32, toNumbers } from '../../src/interop/safetensors';

const DT = onnx.TensorProto.DataType;

function model(initializer: onnx.ITensorProto[]): Uint8Array {
  return onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: { name: 'g', initializer, node: [], input: [], output: [] },
  }).finish();
}

test('initializers: raw_data and typed fields give the same little-endian tensors', () => {
  const raw = new Float32Array([1.5, -2, 3.25, 4, 5, 6]);
  const bytes = model([
    { name: 'fc.weight', dims: [2, 3], dataType: DT.FLOAT, rawData: new Uint8Array(raw.buffer) },
    { name: 'fc.bias', dims: [2], dataType: DT.FLOAT, floatData: [0.5, -0.25] },
    { name: 'shape', dims: [2], dataType: DT.INT64, int64Data: [-1, 6] },
    { name: 'half', dims: [1], dataType: DT.FLOAT16, int32Data: [0x3c00] },
  ]);
  const t = readOnnxInitializers(bytes, 'm.onnx');
  assert.deepEqual([...t.keys()], ['fc.weight', 'fc.bias', 'shape', 'half']);
  assert.deepEqual(t.get('fc.weight')!.shape, [2, 3]);
  assert.deepEqual([...toFloat32(t.get('fc.weight')!)], [...raw]);
  assert.deepEqual([...toFloat32(t.get('fc.bias')!)], [0.5, -0.25]);
  assert.deepEqual(toNumbers(t.get('shape')!), [-1, 6]);
  assert.deepEqual([...toFloat32(t.get('half')!)], [1]);
});

test('initializers: damaged or unsupported input names the file and the tensor', () => {
  const ok = model([{ name: 'w', dims: [4], dataType: DT.FLOAT, floatData: [1, 2, 3, 4] }]);
  assert.throws(
    () => readOnnxInitializers(ok.subarray(0, ok.length - 3), 'cut.onnx'),
    (e: unknown) => e instanceof OnnxReadError && /cut\.onnx/.test(e.message),
  );
  assert.throws(
    () => readOnnxInitializers(new TextEncoder().encode('hello, not onnx'), 'x.onnx'),
    (e: unknown) => e instanceof OnnxReadError && /x\.onnx/.test(e.message),
  );
  const external = model([
    {
      name: 'big',
      dims: [4],
      dataType: DT.FLOAT,
      dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
      externalData: [{ key: 'location', value: 'weights.bin' }],
    },
  ]);
  assert.throws(
    () => readOnnxInitializers(external, 'e.onnx'),
    (e: unknown) => e instanceof OnnxReadError && e.tensor === 'big' && /external/.test(e.reason),
  );
  const short = model([{ name: 'w', dims: [4], dataType: DT.FLOAT, floatData: [1, 2] }]);
  assert.throws(
    () => readOnnxInitializers(short, 's.onnx'),
    (e: unknown) => e instanceof OnnxReadError && e.tensor === 'w' && /need 4/.test(e.reason),
  );
  const str = model([
    { name: 's', dims: [1], dataType: DT.STRING, stringData: [new Uint8Array(1)] },
  ]);
  assert.throws(
    () => readOnnxInitializers(str, 't.onnx'),
    (e: unknown) => e instanceof OnnxReadError && /string/.test(e.reason),
  );
});
