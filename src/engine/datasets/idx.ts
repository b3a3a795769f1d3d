/** MNIST idx files (optionally gzipped): images `[N, 1, H, W]` scaled to [0, 1], integer labels. */
import { gunzipSync } from 'node:zlib';
import { DataError, type Dataset } from './types';

export interface IdxArray {
  readonly dims: number[];
  readonly data: Float64Array | Uint8Array;
  readonly type: 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';
}

const TYPES: Record<number, [IdxArray['type'], number]> = {
  0x08: ['uint8', 1],
  0x09: ['int8', 1],
  0x0b: ['int16', 2],
  0x0c: ['int32', 4],
  0x0d: ['float32', 4],
  0x0e: ['float64', 8],
};

export function maybeGunzip(buf: Uint8Array, file: string): Uint8Array {
  if (buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      return gunzipSync(buf);
    } catch (e) {
      throw new DataError(`${file}: gzip data is damaged (${(e as Error).message})`);
    }
  }
  return buf;
}

export function parseIdx(raw: Uint8Array, file: string): IdxArray {
  const buf = maybeGunzip(raw, file);
  if (buf.length < 4 || buf[0] !== 0 || buf[1] !== 0)
    throw new DataError(`${file} is not an idx file (bad magic number)`);
  const t = TYPES[buf[2]!];
  if (!t) throw new DataError(`${file}: unknown idx data type 0x${buf[2]!.toString(16)}`);
  const nd = buf[3]!;
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf.length < 4 + 4 * nd) throw new DataError(`${file}: truncated idx header`);
  const dims = Array.from({ length: nd }, (_, i) => dv.getUint32(4 + 4 * i, false));
  const count = dims.reduce((a, b) => a * b, 1);
  const off = 4 + 4 * nd;
  const [type, size] = t;
  if (buf.length !== off + count * size)
    throw new DataError(
      `${file}: idx header says ${dims.join('×')} ${type} values (${off + count * size} bytes) but the file has ${buf.length} bytes`,
    );
  if (type === 'uint8') return { dims, type, data: buf.subarray(off) };
  const data = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const p = off + i * size;
    data[i] =
      type === 'int8'
        ? dv.getInt8(p)
        : type === 'int16'
          ? dv.getInt16(p, false)
          : type === 'int32'
            ? dv.getInt32(p, false)
            : type === 'float32'
              ? dv.getFloat32(p, false)
              : dv.getFloat64(p, false);
  }
  return { dims, type, data };
}

/** Encode an idx file (tests and tools). */
export function encodeIdx(dims: readonly number[], data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const dv = new DataView(out.buffer);
  out[2] = 0x08;
  out[3] = dims.length;
  dims.forEach((d, i) => dv.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}

export function readIdx(
  images: Uint8Array,
  labels: Uint8Array,
  names: { images: string; labels: string },
): Dataset {
  const im = parseIdx(images, names.images);
  const lb = parseIdx(labels, names.labels);
  if (im.dims.length < 2)
    throw new DataError(
      `${names.images}: expected an image file (≥ 2 dims), got ${im.dims.length}`,
    );
  if (lb.dims.length !== 1)
    throw new DataError(`${names.labels}: expected a label file (1 dim), got ${lb.dims.length}`);
  const n = im.dims[0]!;
  if (lb.dims[0] !== n)
    throw new DataError(
      `${names.images} has ${n} images but ${names.labels} has ${lb.dims[0]} labels`,
    );
  const per = im.dims.slice(1);
  const x = new Float32Array(im.data.length);
  const scale = im.type === 'uint8' ? 1 / 255 : 1;
  for (let i = 0; i < x.length; i++) x[i] = im.data[i]! * scale;
  const y = new Int32Array(n);
  let max = 0;
  for (let i = 0; i < n; i++) {
    const v = lb.data[i]!;
    if (!Number.isInteger(v) || v < 0)
      throw new DataError(`${names.labels}: label ${i} is ${v}; labels must be integers ≥ 0`);
    y[i] = v;
    if (v > max) max = v;
  }
  const classes = max + 1;
  return {
    name: `Idx '${names.images}'`,
    n,
    x,
    xShape: per.length === 2 ? [1, per[0]!, per[1]!] : per,
    y,
    yShape: [],
    task: 'classification',
    classes,
    classNames: Array.from({ length: classes }, (_, i) => String(i)),
  };
}
