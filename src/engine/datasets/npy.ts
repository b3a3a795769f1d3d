/**
 * NumPy .npy files (versions 1–3, C order): float32/float64/int/uint/bool arrays; and .npz
 * archives of them (`np.savez`, `np.savez_compressed`), whose arrays are named inputs.
 */
import { inflateRawSync } from 'node:zlib';
import { DataError, type Dataset, type DataPart } from './types';

export interface NpyArray {
  readonly shape: number[];
  readonly kind: 'f' | 'i' | 'u' | 'b';
  readonly data: Float64Array;
}

export function parseNpy(buf: Uint8Array, file: string): NpyArray {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
  if (buf.length < 10 || magic.some((b, i) => buf[i] !== b))
    throw new DataError(`${file} is not a .npy file (bad magic string)`);
  const major = buf[6]!;
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let hlen: number;
  let off: number;
  if (major === 1) {
    hlen = dv.getUint16(8, true);
    off = 10;
  } else if (major === 2 || major === 3) {
    hlen = dv.getUint32(8, true);
    off = 12;
  } else throw new DataError(`${file}: unsupported .npy version ${major}`);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(
    buf.subarray(off, off + hlen),
  );
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined)
    throw new DataError(`${file}: cannot read the .npy header ${header.trim()}`);
  if (fortran === 'True')
    throw new DataError(
      `${file} is stored in Fortran order; save it in C order (np.save(f, np.ascontiguousarray(a)))`,
    );
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  const m = /^([<>|=])([fiub])(\d+)$/.exec(descr);
  if (!m)
    throw new DataError(`${file}: unsupported dtype '${descr}' (use float32/64, int or uint8)`);
  const little = m[1] !== '>';
  const kind = m[2] as NpyArray['kind'];
  const size = Number(m[3]);
  const ok =
    (kind === 'f' && (size === 4 || size === 8)) ||
    ((kind === 'i' || kind === 'u') && [1, 2, 4, 8].includes(size)) ||
    (kind === 'b' && size === 1);
  if (!ok) throw new DataError(`${file}: unsupported dtype '${descr}'`);
  const count = shape.reduce((a, b) => a * b, 1);
  const start = off + hlen;
  if (buf.length < start + count * size)
    throw new DataError(
      `${file}: shape (${shape.join(', ')}) needs ${count * size} data bytes, the file has ${buf.length - start}`,
    );
  const data = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const p = start + i * size;
    let v: number;
    if (kind === 'f') v = size === 4 ? dv.getFloat32(p, little) : dv.getFloat64(p, little);
    else if (kind === 'b') v = dv.getUint8(p) ? 1 : 0;
    else if (size === 1) v = kind === 'i' ? dv.getInt8(p) : dv.getUint8(p);
    else if (size === 2) v = kind === 'i' ? dv.getInt16(p, little) : dv.getUint16(p, little);
    else if (size === 4) v = kind === 'i' ? dv.getInt32(p, little) : dv.getUint32(p, little);
    else v = Number(kind === 'i' ? dv.getBigInt64(p, little) : dv.getBigUint64(p, little));
    data[i] = v;
  }
  return { shape, kind, data };
}

/** Encode a little-endian C-order .npy (tests and tools). */
export function encodeNpy(
  shape: readonly number[],
  values: ArrayLike<number>,
  dtype: '<f4' | '<f8' | '<i4' | '<i8' | '|u1',
  version: 1 | 2 | 3 = 1,
): Uint8Array {
  const size = Number(dtype.slice(2));
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let h = `{'descr': '${dtype}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const pre = version === 1 ? 10 : 12;
  while ((pre + h.length + 1) % 64 !== 0) h += ' ';
  h += '\n';
  const out = new Uint8Array(pre + h.length + values.length * size);
  const dv = new DataView(out.buffer);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  if (version === 1) dv.setUint16(8, h.length, true);
  else dv.setUint32(8, h.length, true);
  out.set(new TextEncoder().encode(h), pre);
  const s = pre + h.length;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    const p = s + i * size;
    if (dtype === '<f4') dv.setFloat32(p, v, true);
    else if (dtype === '<f8') dv.setFloat64(p, v, true);
    else if (dtype === '<i4') dv.setInt32(p, v, true);
    else if (dtype === '<i8') dv.setBigInt64(p, BigInt(v), true);
    else dv.setUint8(p, v);
  }
  return out;
}

/** Whether a path names an .npz archive (several named arrays) rather than one .npy array. */
export const isNpz = (file: string): boolean => /\.npz$/i.test(file);

/**
 * The arrays of an .npz archive (a zip of `.npy` members, stored or deflated, ZIP64 sizes
 * included), in the archive's order, named without `.npy`. Problems name the archive and the member.
 */
export function parseNpz(buf: Uint8Array, file: string): { name: string; array: NpyArray }[] {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  // End of central directory: 22 bytes plus a comment of up to 65,535 bytes.
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--)
    if (dv.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  if (eocd < 0) throw new DataError(`${file} is not an .npz file (no zip directory found)`);
  let count = dv.getUint16(eocd + 10, true);
  let dir = dv.getUint32(eocd + 16, true);
  // ZIP64: the locator sits just before the end record and points at the ZIP64 end record.
  if (
    (count === 0xffff || dir === 0xffffffff) &&
    eocd >= 20 &&
    dv.getUint32(eocd - 20, true) === 0x07064b50
  ) {
    const z = Number(dv.getBigUint64(eocd - 12, true));
    if (z + 56 > buf.length || dv.getUint32(z, true) !== 0x06064b50)
      throw new DataError(`${file}: damaged ZIP64 directory`);
    count = Number(dv.getBigUint64(z + 32, true));
    dir = Number(dv.getBigUint64(z + 48, true));
  }
  const out: { name: string; array: NpyArray }[] = [];
  let p = dir;
  for (let k = 0; k < count; k++) {
    if (p + 46 > buf.length || dv.getUint32(p, true) !== 0x02014b50)
      throw new DataError(`${file}: damaged zip directory (entry ${k + 1} of ${count})`);
    const method = dv.getUint16(p + 10, true);
    let csize = dv.getUint32(p + 20, true);
    let usize = dv.getUint32(p + 24, true);
    const nameLen = dv.getUint16(p + 28, true);
    const extraLen = dv.getUint16(p + 30, true);
    const commentLen = dv.getUint16(p + 32, true);
    let local = dv.getUint32(p + 42, true);
    const member = new TextDecoder().decode(buf.subarray(p + 46, p + 46 + nameLen));
    // ZIP64 extra field (id 1): the 64-bit values of the fields that read 0xFFFFFFFF, in order.
    for (let e = p + 46 + nameLen; e + 4 <= p + 46 + nameLen + extraLen;) {
      const id = dv.getUint16(e, true);
      const len = dv.getUint16(e + 2, true);
      if (id === 1) {
        let q = e + 4;
        const next = () => {
          const v = Number(dv.getBigUint64(q, true));
          q += 8;
          return v;
        };
        if (usize === 0xffffffff) usize = next();
        if (csize === 0xffffffff) csize = next();
        if (local === 0xffffffff) local = next();
      }
      e += 4 + len;
    }
    p += 46 + nameLen + extraLen + commentLen;
    if (local + 30 > buf.length || dv.getUint32(local, true) !== 0x04034b50)
      throw new DataError(`${file}: damaged zip entry '${member}'`);
    const start = local + 30 + dv.getUint16(local + 26, true) + dv.getUint16(local + 28, true);
    if (start + csize > buf.length)
      throw new DataError(`${file}: '${member}' is cut short (the file is truncated)`);
    const raw = buf.subarray(start, start + csize);
    let bytes: Uint8Array;
    if (method === 0) bytes = raw;
    else if (method === 8) {
      try {
        bytes = inflateRawSync(raw, { maxOutputLength: Math.max(usize, 1) });
      } catch (e) {
        throw new DataError(`${file}: cannot inflate '${member}': ${(e as Error).message}`);
      }
    } else
      throw new DataError(
        `${file}: '${member}' uses zip compression method ${method}; save with np.savez or np.savez_compressed`,
      );
    if (!member.endsWith('.npy')) continue;
    out.push({ name: member.slice(0, -4), array: parseNpy(bytes, `${file}: '${member}'`) });
  }
  if (!out.length) throw new DataError(`${file} holds no .npy arrays`);
  return out;
}

/**
 * An .npz archive of inputs: each array is a named input (its name the key given to `np.savez`),
 * fed to the model input of that name; integer arrays hold ids. Samples are packed one row per
 * sample, the arrays one after the other (decision 0008).
 */
function packInputs(
  arrays: readonly { name: string; array: NpyArray }[],
  file: string,
): { n: number; x: Float32Array; xShape: number[]; parts: DataPart[] } {
  const n = arrays[0]!.array.shape[0];
  const parts: DataPart[] = [];
  for (const { name, array } of arrays) {
    if (array.shape.length < 1)
      throw new DataError(`${file}: '${name}' must have a sample axis (got a scalar)`);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
      throw new DataError(
        `${file}: the array '${name}' cannot name a model input; save it under a name such as src or tgt_in`,
      );
    if (array.shape[0] !== n)
      throw new DataError(
        `${file}: '${arrays[0]!.name}' has ${n} samples but '${name}' has ${array.shape[0]}`,
      );
    parts.push({ name, shape: array.shape.slice(1), ids: array.kind !== 'f' });
  }
  const sizes = parts.map((q) => q.shape.reduce((a, b) => a * b, 1));
  const row = sizes.reduce((a, b) => a + b, 0);
  const x = new Float32Array(n! * row);
  for (let s = 0; s < n!; s++) {
    let off = s * row;
    arrays.forEach(({ array }, k) => {
      const size = sizes[k]!;
      for (let j = 0; j < size; j++) x[off + j] = array.data[s * size + j]!;
      off += size;
    });
  }
  return { n: n!, x, xShape: [row], parts };
}

export function readNpy(
  xBuf: Uint8Array,
  yBuf: Uint8Array,
  files: { x: string; y: string },
): Dataset {
  const ya = parseNpy(yBuf, files.y);
  let n: number;
  let x: Float32Array;
  let xShape: number[];
  let parts: DataPart[] | undefined;
  if (isNpz(files.x)) {
    ({ n, x, xShape, parts } = packInputs(parseNpz(xBuf, files.x), files.x));
  } else {
    const xa = parseNpy(xBuf, files.x);
    if (xa.shape.length < 1) throw new DataError(`${files.x}: inputs must have a sample axis`);
    n = xa.shape[0]!;
    x = Float32Array.from(xa.data);
    xShape = xa.shape.slice(1);
  }
  if (ya.shape[0] !== n)
    throw new DataError(`${files.x} has ${n} samples but ${files.y} has ${ya.shape[0] ?? 0}`);
  for (let i = 0; i < x.length; i++)
    if (!Number.isFinite(x[i]!))
      throw new DataError(
        `${files.x}: value ${i} (sample ${Math.floor(i / (x.length / n))}) is not finite`,
      );
  const base = {
    name: `Npy '${files.x}'`,
    n,
    x,
    xShape,
    ...(parts
      ? {
          parts,
          featureDescription: `inputs ${parts.map((q) => `${q.name} [${q.shape.join(', ')}]`).join(', ')}`,
        }
      : {}),
  };
  if (ya.kind === 'f') {
    return {
      ...base,
      y: Float32Array.from(ya.data),
      yShape: ya.shape.length === 1 ? [1] : ya.shape.slice(1),
      task: 'regression',
    };
  }
  if (ya.shape.length === 2) return sequenceTargets(base, ya.data, ya.shape[1]!, files.y);
  if (ya.shape.length !== 1)
    throw new DataError(
      `${files.y}: integer targets must be one class id per sample (shape (N,)) or one per step (shape (N, T)), got shape (${ya.shape.join(', ')})`,
    );
  let max = 0;
  for (const v of ya.data) {
    if (v < 0) throw new DataError(`${files.y}: class ids must be ≥ 0 (found ${v})`);
    if (v > max) max = v;
  }
  return {
    ...base,
    y: Int32Array.from(ya.data),
    yShape: [],
    task: 'classification',
    classes: max + 1,
  };
}

/**
 * Integer targets `(N, T)`: one class id per step (a sequence task). Negative ids are kept: they
 * mark positions the loss must ignore (`CrossEntropy(ignore_index=…)`, checked before training).
 */
function sequenceTargets(
  base: Pick<Dataset, 'name' | 'n' | 'x' | 'xShape' | 'parts' | 'featureDescription'>,
  data: ArrayLike<number>,
  steps: number,
  file: string,
): Dataset {
  let max = -1;
  const negative = new Set<number>();
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v < 0) negative.add(v);
    else if (v > max) max = v;
  }
  if (max < 0) throw new DataError(`${file}: no target is a class id ≥ 0`);
  return {
    ...base,
    y: Int32Array.from(data),
    yShape: [steps],
    task: 'sequence',
    classes: max + 1,
    ...(negative.size ? { negativeIds: [...negative].sort((a, b) => a - b) } : {}),
  };
}
