import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as zlib from 'node:zlib';
import {
  CHECKSUM_KEY,
  SafetensorsError,
  TENSOR_CHECKSUMS_KEY,
  crc32,
  decode,
  encode,
  f32Tensor,
  floatData,
  i64Tensor,
  toFloat32,
  toNumbers,
} from '../../src/interop/safetensors';

const sample = () =>
  encode(
    [
      ['fc.weight', f32Tensor([2, 3], new Float32Array([1, 2, 3, 4, 5, 6]))],
      ['fc.bias', f32Tensor([2], new Float32Array([-0.5, 0.25]))],
      ['step', i64Tensor([], [42])],
    ],
    { format: 'pt' },
  );

test('crc32 matches the zlib reference value', () => {
  assert.equal(crc32(new TextEncoder().encode('123456789')), 'cbf43926');
});

test('layout: u64 LE header length, space-padded JSON, contiguous little-endian data', () => {
  const b = sample();
  const n = Number(new DataView(b.buffer).getBigUint64(0, true));
  assert.equal(n % 8, 0);
  const header = JSON.parse(new TextDecoder().decode(b.subarray(8, 8 + n)));
  assert.deepEqual(header['fc.weight'], { dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] });
  assert.deepEqual(header['fc.bias'], { dtype: 'F32', shape: [2], data_offsets: [24, 32] });
  assert.deepEqual(header.step, { dtype: 'I64', shape: [], data_offsets: [32, 40] });
  assert.equal(header.__metadata__.format, 'pt');
  assert.match(header.__metadata__[CHECKSUM_KEY], /^[0-9a-f]{8}$/);
  assert.equal(b.length, 8 + n + 40);
  assert.equal(new DataView(b.buffer).getFloat32(8 + n + 4, true), 2);
});

test('round trip', () => {
  const f = decode(sample(), 'w.safetensors');
  assert.deepEqual([...f.tensors.keys()], ['fc.weight', 'fc.bias', 'step']);
  assert.deepEqual(Array.from(toFloat32(f.tensors.get('fc.weight')!)), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(Array.from(toFloat32(f.tensors.get('fc.bias')!)), [-0.5, 0.25]);
  assert.deepEqual(toNumbers(f.tensors.get('step')!), [42]);
  assert.equal(f.metadata.format, 'pt');
  // from a Node Buffer at an odd offset inside a larger allocation (as fs reads may return)
  const big = Buffer.alloc(sample().length + 11, 7);
  big.set(sample(), 3);
  const g = decode(big.subarray(3, 3 + sample().length), 'w.safetensors');
  assert.deepEqual(Array.from(toFloat32(g.tensors.get('fc.weight')!)), [1, 2, 3, 4, 5, 6]);
});

test('files without a checksum (other tools) are accepted', () => {
  const b = encode([['a', f32Tensor([1], new Float32Array([3]))]], {}, { checksum: false });
  assert.deepEqual(Array.from(toFloat32(decode(b).tensors.get('a')!)), [3]);
});

function throwsNaming(fn: () => unknown, re: RegExp) {
  assert.throws(fn, (e: unknown) => e instanceof SafetensorsError && re.test(e.message));
}

test('damaged files give a message naming the file and, where there is one, the tensor', () => {
  const good = sample();
  // a flipped bit in the data
  const flipped = good.slice();
  flipped[flipped.length - 20]! ^= 1;
  throwsNaming(
    () => decode(flipped, 'w.safetensors'),
    /^w\.safetensors: tensor 'fc\.weight': is damaged: checksum \w+ does not match/,
  );
  // without the per-tensor checksums the whole file is reported
  const whole = decode(good);
  const meta = { ...whole.metadata };
  delete meta[TENSOR_CHECKSUMS_KEY];
  const noPer = encode(whole.tensors, meta, { checksum: false });
  noPer[noPer.length - 20]! ^= 1;
  throwsNaming(() => decode(noPer, 'w.safetensors'), /^w\.safetensors: is damaged: checksum/);
  // truncated inside the data
  throwsNaming(
    () => decode(good.subarray(0, good.length - 3), 'w.safetensors'),
    /w\.safetensors: tensor 'step': is truncated/,
  );
  // truncated inside the header
  throwsNaming(
    () => decode(good.subarray(0, 20), 'w.safetensors'),
    /is truncated: the header needs/,
  );
  // shorter than the length field, and not JSON
  throwsNaming(() => decode(new Uint8Array(3), 'x.bin'), /x\.bin: is not a safetensors file/);
  const junk = new Uint8Array(16);
  new DataView(junk.buffer).setBigUint64(0, 8n, true);
  junk.set(new TextEncoder().encode('notjson!'), 8);
  throwsNaming(() => decode(junk, 'x.bin'), /header is not valid UTF-8 JSON/);
  // absurd header length
  const huge = new Uint8Array(16);
  new DataView(huge.buffer).setBigUint64(0, 1n << 60n, true);
  throwsNaming(() => decode(huge, 'x.bin'), /exceeds/);
});

function withHeader(header: object, body: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + body.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(body, 8 + json.length);
  return out;
}

test('header validation: dtype, shape/size agreement, gaps and overlaps', () => {
  throwsNaming(
    () =>
      decode(
        withHeader({ a: { dtype: 'Q8', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1)),
      ),
    /tensor 'a': unsupported dtype "Q8"/,
  );
  throwsNaming(
    () =>
      decode(
        withHeader({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, new Uint8Array(4)),
      ),
    /tensor 'a': F32 \[2\] needs 8 bytes/,
  );
  throwsNaming(
    () =>
      decode(
        withHeader(
          {
            a: { dtype: 'U8', shape: [1], data_offsets: [0, 1] },
            b: { dtype: 'U8', shape: [1], data_offsets: [2, 3] },
          },
          new Uint8Array(3),
        ),
      ),
    /tensor 'b': there is a gap/,
  );
  throwsNaming(
    () =>
      decode(
        withHeader({ a: { dtype: 'U8', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(2)),
      ),
    /1 bytes after the last tensor/,
  );
  throwsNaming(
    () =>
      decode(
        withHeader({ a: { dtype: 'U8', shape: [-1], data_offsets: [0, 1] } }, new Uint8Array(1)),
      ),
    /not a list of non-negative integers/,
  );
});

test('other dtypes convert to float32: F16, BF16, F64, I32', () => {
  const half = new Uint8Array([0x00, 0x3c, 0x00, 0xc0]); // 1.0, -2.0
  const bf = new Uint8Array([0x80, 0x3f, 0x40, 0x40]); // 1.0, 3.0
  const f = decode(
    withHeader(
      {
        h: { dtype: 'F16', shape: [2], data_offsets: [0, 4] },
        b: { dtype: 'BF16', shape: [2], data_offsets: [4, 8] },
      },
      new Uint8Array([...half, ...bf]),
    ),
  );
  assert.deepEqual(Array.from(toFloat32(f.tensors.get('h')!)), [1, -2]);
  assert.deepEqual(Array.from(toFloat32(f.tensors.get('b')!)), [1, 3]);
});

test('encode refuses inconsistent input', () => {
  assert.throws(
    () => encode([['a', { dtype: 'F32', shape: [3], bytes: new Uint8Array(4) }]]),
    /needs 12/,
  );
  assert.throws(
    () => encode([['__metadata__', f32Tensor([1], new Float32Array(1))]]),
    /not a tensor name/,
  );
});

test('floatData: F32 bit-exact, other floats converted, integers and non-finite values refused', () => {
  const bits = new Float32Array([1 / 3, -0, 1e-40, 3.4e38]);
  const back = floatData(f32Tensor([4], bits), 'w.safetensors', 'w');
  assert.deepEqual(new Uint32Array(back.buffer), new Uint32Array(bits.buffer));
  throwsNaming(
    () => floatData(i64Tensor([2], [1, 2]), 'w.safetensors', 'fc.weight'),
    /^w\.safetensors: tensor 'fc\.weight': dtype I64 is not a floating-point type/,
  );
  throwsNaming(
    () => floatData(f32Tensor([3], new Float32Array([0, NaN, 1])), 'w.safetensors', 'fc.bias'),
    /^w\.safetensors: tensor 'fc\.bias': value 1 of \[3\] is NaN, not a finite number/,
  );
});

test('crc32 (slicing-by-8) equals zlib on every tail length and offset', () => {
  const z = (zlib as { crc32?: (b: Uint8Array) => number }).crc32;
  const b = Uint8Array.from({ length: 300 }, (_, i) => (i * 131 + 7) & 255);
  const ref = (x: Uint8Array) => (z ? (z(x) >>> 0).toString(16).padStart(8, '0') : crc32Bitwise(x));
  for (let off = 0; off < 9; off++)
    for (const n of [0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 255])
      assert.equal(crc32(b.subarray(off, off + n)), ref(b.subarray(off, off + n)), `${off}+${n}`);
});

/** The bitwise definition, for hosts without zlib.crc32. */
function crc32Bitwise(x: Uint8Array): string {
  let c = 0xffffffff;
  for (const v of x) {
    c ^= v;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return ((c ^ 0xffffffff) >>> 0).toString(16).padStart(8, '0');
}
