/**
 * The safetensors format, read and written in pure TypeScript (no Node APIs), so that run
 * checkpoints, the PyTorch export and the ONNX importer share one implementation.
 *
 * Layout (https://github.com/huggingface/safetensors):
 * - 8 bytes: N, the header length, unsigned 64-bit little-endian;
 * - N bytes: a UTF-8 JSON object. Each key but `__metadata__` names a tensor:
 *   `{ "dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end] }`, offsets relative to the
 *   byte buffer that follows the header. `__metadata__` is a string → string map. The header is
 *   padded with spaces to a multiple of 8 bytes, so the buffer stays aligned;
 * - the byte buffer: every tensor's little-endian data, row-major, back to back, with no gaps.
 *
 * Integrity: `encode` stores a CRC-32 of the byte buffer in `__metadata__["dlm.crc32"]` (and one
 * per tensor in `"dlm.crc32.tensors"`), and `decode` verifies it when present (files from other
 * tools have none and are accepted). A flipped bit anywhere in the tensors is then reported, with
 * the tensor it is in, instead of silently loaded.
 */

export type SafetensorsDtype =
  'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

const DTYPE_BYTES: Record<SafetensorsDtype, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

export const CHECKSUM_KEY = 'dlm.crc32';
/** Per-tensor CRC-32s (JSON name → hex), read only to name the tensor of a checksum mismatch. */
export const TENSOR_CHECKSUMS_KEY = 'dlm.crc32.tensors';
/** Headers larger than this are refused (the Rust library uses the same 100 MB bound). */
export const MAX_HEADER_BYTES = 100_000_000;

/** One tensor: its dtype, shape and raw little-endian bytes. */
export interface SafeTensor {
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
  readonly bytes: Uint8Array;
}

export interface SafetensorsFile {
  readonly metadata: Readonly<Record<string, string>>;
  /** In file order (by data offset). */
  readonly tensors: ReadonlyMap<string, SafeTensor>;
}

/** A damaged or unsupported file. `tensor` names the tensor at fault, where there is one. */
export class SafetensorsError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
    readonly tensor?: string,
  ) {
    super(`${file}: ${tensor !== undefined ? `tensor '${tensor}': ` : ''}${reason}`);
    this.name = 'SafetensorsError';
  }
}

const isDtype = (d: unknown): d is SafetensorsDtype =>
  typeof d === 'string' && Object.prototype.hasOwnProperty.call(DTYPE_BYTES, d);

export const dtypeBytes = (d: SafetensorsDtype): number => DTYPE_BYTES[d];

const elementCount = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** True on little-endian hosts, where float32 bytes are copied as they are (bit-exact, fast). */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A float32 tensor from a Float32Array (copied into little-endian bytes). */
export function f32Tensor(shape: readonly number[], data: Float32Array): SafeTensor {
  if (data.length !== elementCount(shape))
    throw new Error(`f32Tensor: ${data.length} values for shape [${shape.join(', ')}]`);
  let bytes: Uint8Array;
  if (LITTLE_ENDIAN)
    bytes = new Uint8Array(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  else {
    bytes = new Uint8Array(data.length * 4);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i]!, true);
  }
  return { dtype: 'F32', shape: [...shape], bytes };
}

/** An int64 tensor from numbers (exact up to 2^53). */
export function i64Tensor(shape: readonly number[], data: ArrayLike<number>): SafeTensor {
  if (data.length !== elementCount(shape))
    throw new Error(`i64Tensor: ${data.length} values for shape [${shape.join(', ')}]`);
  const bytes = new Uint8Array(data.length * 8);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < data.length; i++) view.setBigInt64(i * 8, BigInt(Math.trunc(data[i]!)), true);
  return { dtype: 'I64', shape: [...shape], bytes };
}

function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/**
 * A tensor's values as float32, converting from any floating or integer dtype. The caller names
 * the file for messages.
 */
export function toFloat32(t: SafeTensor, file = '<safetensors>', name?: string): Float32Array {
  const n = elementCount(t.shape);
  // `new Uint8Array(view)` copies into a fresh buffer (a Node Buffer's `slice` would not copy).
  if (t.dtype === 'F32' && LITTLE_ENDIAN)
    return new Float32Array(new Uint8Array(t.bytes).buffer, 0, n);
  const view = new DataView(t.bytes.buffer, t.bytes.byteOffset, t.bytes.byteLength);
  const out = new Float32Array(n);
  switch (t.dtype) {
    case 'F32':
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
      break;
    case 'F64':
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(i * 8, true);
      break;
    case 'F16':
      for (let i = 0; i < n; i++) out[i] = f16ToF32(view.getUint16(i * 2, true));
      break;
    case 'BF16': {
      const tmp = new DataView(new ArrayBuffer(4));
      for (let i = 0; i < n; i++) {
        tmp.setUint32(0, view.getUint16(i * 2, true) << 16, true);
        out[i] = tmp.getFloat32(0, true);
      }
      break;
    }
    case 'I64':
      for (let i = 0; i < n; i++) out[i] = Number(view.getBigInt64(i * 8, true));
      break;
    case 'I32':
      for (let i = 0; i < n; i++) out[i] = view.getInt32(i * 4, true);
      break;
    case 'I16':
      for (let i = 0; i < n; i++) out[i] = view.getInt16(i * 2, true);
      break;
    case 'I8':
      for (let i = 0; i < n; i++) out[i] = view.getInt8(i);
      break;
    case 'U8':
    case 'BOOL':
      for (let i = 0; i < n; i++) out[i] = view.getUint8(i);
      break;
    default:
      throw new SafetensorsError(file, `unsupported dtype ${String(t.dtype)}`, name);
  }
  return out;
}

const FLOAT_DTYPES: ReadonlySet<SafetensorsDtype> = new Set(['F32', 'F64', 'F16', 'BF16']);

/**
 * The values of a tensor that must hold real numbers (a parameter, an optimizer state): float32
 * from F32 bit-exactly, from F64, F16 and BF16 by conversion. Integer and boolean dtypes, and
 * non-finite values (NaN, ±Inf), are refused with a message naming the file and the tensor.
 */
export function floatData(t: SafeTensor, file: string, name: string): Float32Array {
  if (!FLOAT_DTYPES.has(t.dtype))
    throw new SafetensorsError(
      file,
      `dtype ${t.dtype} is not a floating-point type (expected F32; F64, F16 and BF16 are converted)`,
      name,
    );
  const out = toFloat32(t, file, name);
  for (let i = 0; i < out.length; i++)
    if (!Number.isFinite(out[i]!))
      throw new SafetensorsError(
        file,
        `value ${i} of [${t.shape.join(', ')}] is ${out[i]}, not a finite number`,
        name,
      );
  return out;
}

/** A tensor's values as numbers (for I64 step counters and the like). */
export function toNumbers(t: SafeTensor, file = '<safetensors>', name?: string): number[] {
  if (t.dtype === 'I64') {
    const view = new DataView(t.bytes.buffer, t.bytes.byteOffset, t.bytes.byteLength);
    const n = elementCount(t.shape);
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push(Number(view.getBigInt64(i * 8, true)));
    return out;
  }
  return Array.from(toFloat32(t, file, name));
}

// CRC-32 (IEEE 802.3, the zlib polynomial), slicing-by-8: eight 256-entry tables, so the main
// loop consumes 8 bytes per iteration (several times faster than one table in V8).
let CRC_TABLES: Uint32Array[] | undefined;
function crcTables(): Uint32Array[] {
  if (CRC_TABLES) return CRC_TABLES;
  const t0 = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t0[n] = c >>> 0;
  }
  const ts = [t0];
  for (let k = 1; k < 8; k++) {
    const prev = ts[k - 1]!;
    const t = new Uint32Array(256);
    for (let n = 0; n < 256; n++) t[n] = (prev[n]! >>> 8) ^ t0[prev[n]! & 0xff]!;
    ts.push(t);
  }
  return (CRC_TABLES = ts);
}

/** CRC-32 of `bytes`, as 8 lowercase hex digits. */
export function crc32(bytes: Uint8Array): string {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = crcTables() as [
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
  ];
  let c = 0xffffffff;
  const n = bytes.length;
  const end8 = n - (n % 8);
  let i = 0;
  for (; i < end8; i += 8) {
    const a =
      (c ^ (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24))) >>>
      0;
    c =
      t7[a & 0xff]! ^
      t6[(a >>> 8) & 0xff]! ^
      t5[(a >>> 16) & 0xff]! ^
      t4[a >>> 24]! ^
      t3[bytes[i + 4]!]! ^
      t2[bytes[i + 5]!]! ^
      t1[bytes[i + 6]!]! ^
      t0[bytes[i + 7]!]!;
  }
  for (; i < n; i++) c = t0[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ((c ^ 0xffffffff) >>> 0).toString(16).padStart(8, '0');
}

/**
 * Serialize tensors in the given order, with string metadata. A CRC-32 of the byte buffer is
 * added to the metadata unless `checksum` is false.
 */
/** A CRC-32 implementation (8 lowercase hex digits); callers may pass a native one. */
export type Crc32 = (bytes: Uint8Array) => string;

export function encode(
  tensors: Iterable<readonly [string, SafeTensor]>,
  metadata: Readonly<Record<string, string>> = {},
  { checksum = true, crc = crc32 }: { checksum?: boolean; crc?: Crc32 } = {},
): Uint8Array {
  const list = [...tensors];
  const names = new Set<string>();
  let total = 0;
  for (const [name, t] of list) {
    if (name === '__metadata__')
      throw new Error(`safetensors: '__metadata__' is not a tensor name`);
    if (names.has(name)) throw new Error(`safetensors: tensor '${name}' given twice`);
    names.add(name);
    const expect = elementCount(t.shape) * DTYPE_BYTES[t.dtype];
    if (t.bytes.byteLength !== expect)
      throw new Error(
        `safetensors: tensor '${name}' has ${t.bytes.byteLength} bytes; ${t.dtype} [${t.shape.join(', ')}] needs ${expect}`,
      );
    total += expect;
  }
  const body = new Uint8Array(total);
  const header: Record<string, unknown> = {};
  let off = 0;
  for (const [name, t] of list) {
    body.set(t.bytes, off);
    header[name] = {
      dtype: t.dtype,
      shape: [...t.shape],
      data_offsets: [off, off + t.bytes.byteLength],
    };
    off += t.bytes.byteLength;
  }
  const meta: Record<string, string> = { ...metadata };
  if (checksum) {
    meta[CHECKSUM_KEY] = crc(body);
    const per: Record<string, string> = {};
    for (const [name, t] of list) per[name] = crc(t.bytes);
    meta[TENSOR_CHECKSUMS_KEY] = JSON.stringify(per);
  }
  const full: Record<string, unknown> = Object.keys(meta).length
    ? { __metadata__: meta, ...header }
    : header;
  let json = new TextEncoder().encode(JSON.stringify(full));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + body.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(body, 8 + json.length);
  return out;
}

/**
 * Parse and validate only the header (for listing names and shapes without touching data).
 * `bytes` may be just the start of the file, through the end of the header, when `size` gives
 * the whole file's length (the checker reads no tensor data).
 */
export function decodeHeader(
  bytes: Uint8Array,
  file = '<safetensors>',
  size = bytes.byteLength,
): {
  metadata: Record<string, string>;
  entries: { name: string; dtype: SafetensorsDtype; shape: number[]; begin: number; end: number }[];
  dataStart: number;
} {
  if (size < 8 || bytes.byteLength < 8)
    throw new SafetensorsError(
      file,
      `is not a safetensors file: ${size} bytes, shorter than the 8-byte header length`,
    );
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n64 = view.getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER_BYTES))
    throw new SafetensorsError(
      file,
      `is not a safetensors file: header length ${n64} exceeds ${MAX_HEADER_BYTES} bytes`,
    );
  const n = Number(n64);
  if (8 + n > size || 8 + n > bytes.byteLength)
    throw new SafetensorsError(
      file,
      `is truncated: the header needs ${n} bytes, the file has ${size - 8} after the length`,
    );
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch {
    throw new SafetensorsError(
      file,
      'is not a safetensors file: its header is not valid UTF-8 JSON',
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new SafetensorsError(file, 'is not a safetensors file: its header is not a JSON object');
  const dataStart = 8 + n;
  const dataLen = size - dataStart;
  const metadata: Record<string, string> = {};
  const entries: {
    name: string;
    dtype: SafetensorsDtype;
    shape: number[];
    begin: number;
    end: number;
  }[] = [];
  for (const [name, raw] of Object.entries(parsed as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
        throw new SafetensorsError(file, '__metadata__ is not a string map');
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== 'string')
          throw new SafetensorsError(file, `__metadata__['${k}'] is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e !== 'object' || e === null)
      throw new SafetensorsError(file, 'header entry is not an object', name);
    if (!isDtype(e.dtype))
      throw new SafetensorsError(
        file,
        `unsupported dtype ${JSON.stringify(e.dtype)} (supported: ${Object.keys(DTYPE_BYTES).join(', ')})`,
        name,
      );
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isSafeInteger(d) && d >= 0))
      throw new SafetensorsError(
        file,
        `shape ${JSON.stringify(e.shape)} is not a list of non-negative integers`,
        name,
      );
    const off = e.data_offsets;
    if (
      !Array.isArray(off) ||
      off.length !== 2 ||
      !off.every((d) => Number.isSafeInteger(d) && d >= 0) ||
      off[0] > off[1]
    )
      throw new SafetensorsError(
        file,
        `data_offsets ${JSON.stringify(off)} are not [begin, end]`,
        name,
      );
    const shape = e.shape as number[];
    const [begin, end] = off as [number, number];
    const expect = elementCount(shape) * DTYPE_BYTES[e.dtype];
    if (end - begin !== expect)
      throw new SafetensorsError(
        file,
        `${e.dtype} [${shape.join(', ')}] needs ${expect} bytes but data_offsets span ${end - begin}`,
        name,
      );
    if (end > dataLen)
      throw new SafetensorsError(
        file,
        `is truncated: the tensor's data ends at byte ${end} of a ${dataLen}-byte buffer`,
        name,
      );
    entries.push({ name, dtype: e.dtype, shape, begin, end });
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  for (const e of entries) {
    if (e.begin !== at)
      throw new SafetensorsError(
        file,
        e.begin < at
          ? `data overlaps the previous tensor's`
          : `there is a gap of ${e.begin - at} bytes before its data`,
        e.name,
      );
    at = e.end;
  }
  if (at !== dataLen)
    throw new SafetensorsError(file, `has ${dataLen - at} bytes after the last tensor's data`);
  return { metadata, entries, dataStart };
}

/**
 * Parse and validate a whole file: header, offsets (contiguous, in bounds, sized by dtype and
 * shape) and, when the file carries one, the CRC-32. Tensor bytes are views into `bytes`.
 */
export function decode(
  bytes: Uint8Array,
  file = '<safetensors>',
  { crc = crc32 }: { crc?: Crc32 } = {},
): SafetensorsFile {
  const { metadata, entries, dataStart } = decodeHeader(bytes, file);
  const body = bytes.subarray(dataStart);
  const want = metadata[CHECKSUM_KEY];
  if (want !== undefined) {
    const got = crc(body);
    if (got !== want.toLowerCase()) {
      // Name the damaged tensor where the file records per-tensor checksums (ours do).
      let bad: string | undefined;
      const per = metadata[TENSOR_CHECKSUMS_KEY];
      if (per !== undefined) {
        try {
          const sums = JSON.parse(per) as Record<string, unknown>;
          bad = entries.find(
            (e) =>
              sums[e.name] !== undefined && sums[e.name] !== crc(body.subarray(e.begin, e.end)),
          )?.name;
        } catch {
          bad = undefined;
        }
      }
      throw new SafetensorsError(
        file,
        `is damaged: checksum ${got} does not match the recorded ${want}${bad !== undefined ? " (this tensor's data changed)" : ''}`,
        bad,
      );
    }
  }
  const tensors = new Map<string, SafeTensor>();
  for (const e of entries)
    tensors.set(e.name, { dtype: e.dtype, shape: e.shape, bytes: body.subarray(e.begin, e.end) });
  return { metadata, tensors };
}
