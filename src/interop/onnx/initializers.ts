/**
 * An ONNX file's initializers (its stored weights) as safetensors-shaped tensors, so that every
 * consumer of weights from outside (a model initialized from a file, the ONNX importer) handles
 * one tensor type whatever the file format was.
 *
 * Pure TypeScript (onnx-proto's protobuf decoder, no Node APIs). Supported element types are the
 * ones safetensors has: float32/64/16, bfloat16, int8/16/32/64, uint8 and bool. Tensors stored as
 * external data (`data_location = EXTERNAL`) are refused with the tensor's name: the caller
 * resolves nothing outside the file it was given.
 */
import { onnx } from 'onnx-proto';
import { dtypeBytes, type SafeTensor, type SafetensorsDtype } from '../safetensors';

/** A file that is not a readable ONNX model, or a tensor in it that cannot be used. */
export class OnnxReadError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
    readonly tensor?: string,
  ) {
    super(`${file}: ${tensor !== undefined ? `initializer '${tensor}': ` : ''}${reason}`);
    this.name = 'OnnxReadError';
  }
}

const DT = onnx.TensorProto.DataType;

/** ONNX element type → safetensors dtype (undefined: not representable). */
export function safetensorsDtype(dataType: number): SafetensorsDtype | undefined {
  switch (dataType) {
    case DT.FLOAT:
      return 'F32';
    case DT.DOUBLE:
      return 'F64';
    case DT.FLOAT16:
      return 'F16';
    case DT.BFLOAT16:
      return 'BF16';
    case DT.INT64:
      return 'I64';
    case DT.INT32:
      return 'I32';
    case DT.INT16:
      return 'I16';
    case DT.INT8:
      return 'I8';
    case DT.UINT8:
      return 'U8';
    case DT.BOOL:
      return 'BOOL';
    default:
      return undefined;
  }
}

const DATA_TYPE_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(DT).map(([k, v]) => [v as number, k.toLowerCase()]),
);

const toNumber = (v: number | { toNumber(): number }): number =>
  typeof v === 'number' ? v : v.toNumber();

/** Decode the ModelProto, with a message naming the file instead of protobuf's. */
export function decodeModel(bytes: Uint8Array, file = '<onnx>'): onnx.ModelProto {
  let model: onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new OnnxReadError(
      file,
      `not a readable ONNX model (${e instanceof Error ? e.message : String(e)}); the file may be truncated or of another format`,
    );
  }
  if (!model.graph) throw new OnnxReadError(file, 'not an ONNX model: it has no graph');
  return model;
}

/**
 * One TensorProto as a SafeTensor (little-endian bytes, row-major). Data may be in `raw_data` or
 * in the typed repeated fields, as the ONNX spec allows.
 */
export function tensorFromProto(t: onnx.ITensorProto, file = '<onnx>'): SafeTensor {
  const name = t.name ?? '';
  if (
    t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL ||
    (t.externalData?.length ?? 0) > 0
  )
    throw new OnnxReadError(
      file,
      'its data is stored in an external file, which is not read; re-export the model with the weights inside the .onnx file',
      name,
    );
  const dtype = safetensorsDtype(t.dataType ?? 0);
  if (dtype === undefined)
    throw new OnnxReadError(
      file,
      `element type ${DATA_TYPE_NAMES[t.dataType ?? 0] ?? t.dataType} is not supported`,
      name,
    );
  const shape = (t.dims ?? []).map((d) => toNumber(d as number));
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0))
    throw new OnnxReadError(file, `invalid dims [${shape.join(', ')}]`, name);
  const count = shape.reduce((a, b) => a * b, 1);
  const size = count * dtypeBytes(dtype);
  if (t.rawData && t.rawData.length > 0) {
    if (t.rawData.length !== size)
      throw new OnnxReadError(
        file,
        `raw data holds ${t.rawData.length} bytes, but dims [${shape.join(', ')}] need ${size}`,
        name,
      );
    return { dtype, shape, bytes: t.rawData.slice() };
  }
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  const typed = (
    values: ArrayLike<number | { toNumber(): number }> | null | undefined,
    field: string,
  ) => {
    const n = values?.length ?? 0;
    if (n !== count)
      throw new OnnxReadError(
        file,
        `${field} holds ${n} values, but dims [${shape.join(', ')}] need ${count}`,
        name,
      );
    return values!;
  };
  switch (dtype) {
    case 'F32': {
      const v = typed(t.floatData, 'float_data');
      for (let i = 0; i < count; i++) view.setFloat32(i * 4, v[i] as number, true);
      break;
    }
    case 'F64': {
      const v = typed(t.doubleData, 'double_data');
      for (let i = 0; i < count; i++) view.setFloat64(i * 8, v[i] as number, true);
      break;
    }
    case 'I64': {
      const v = typed(t.int64Data as ArrayLike<number>, 'int64_data');
      for (let i = 0; i < count; i++) view.setBigInt64(i * 8, BigInt(toNumber(v[i]!)), true);
      break;
    }
    default: {
      // int32_data carries every narrower integer type, float16/bfloat16 bit patterns and bool.
      const v = typed(t.int32Data, 'int32_data');
      const w = dtypeBytes(dtype);
      for (let i = 0; i < count; i++) {
        const x = v[i] as number;
        if (w === 4) view.setInt32(i * 4, x, true);
        else if (w === 2) view.setUint16(i * 2, x & 0xffff, true);
        else view.setUint8(i, x & 0xff);
      }
    }
  }
  return { dtype, shape, bytes };
}

/**
 * Every initializer of the main graph, by name, in file order. Initializers inside subgraphs
 * (Loop/If bodies) are not weights of the model and are not returned.
 */
export function readOnnxInitializers(
  bytes: Uint8Array,
  file = '<onnx>',
): ReadonlyMap<string, SafeTensor> {
  const model = decodeModel(bytes, file);
  const out = new Map<string, SafeTensor>();
  for (const t of model.graph!.initializer ?? []) {
    const name = t.name ?? '';
    if (out.has(name)) throw new OnnxReadError(file, 'appears twice', name);
    out.set(name, tensorFromProto(t, file));
  }
  return out;
}
