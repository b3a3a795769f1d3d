/**
 * Files named by `weights from "…"` (docs/language.md, decision 0009): a safetensors file (a
 * PyTorch state_dict, or one of our run checkpoints) or an ONNX model's initializers.
 *
 * - `readWeightsHeader`: names and shapes only, for the checker. A safetensors file is read up
 *   to the end of its JSON header, never its tensor data; an ONNX file has no separate header
 *   and is read whole (the caller caches the result while the file is unchanged).
 * - `loadWeightSources`: the values, for training, `dlm predict` and `dlm export`, matched by
 *   the same plan the checker reports (src/language/weights.ts).
 *
 * Every read goes through the confined file system (inside the workspace after resolving links,
 * regular files only, at most MAX_WEIGHTS_BYTES).
 */
import * as fs from 'node:fs';
import type { CheckedModel } from '../language/checked';
import { namedParams } from '../language/names';
import { resolveRelative } from '../language/paths';
import {
  nameList,
  planWeights,
  shapeText,
  type FileTensor,
  type WeightsHeader,
} from '../language/weights';
import { OnnxReadError, readOnnxInitializers } from '../interop/onnx/initializers';
import {
  decode,
  decodeHeader,
  floatData,
  SafetensorsError,
  type SafeTensor,
} from '../interop/safetensors';
import { ConfinedFs, FsError, fromPosix, MAX_WEIGHTS_BYTES } from './host';
import { CHECKPOINT_METADATA_KEY, fastCrc32, stateKey } from './runs';

/** A safetensors file starts with a u64 header length and then `{`. */
function looksLikeSafetensors(head: Uint8Array, size: number): boolean {
  if (head.byteLength < 9) return false;
  const n = new DataView(head.buffer, head.byteOffset, 8).getBigUint64(0, true);
  return n > 0n && n <= BigInt(size - 8) && head[8] === 0x7b;
}

/** Optimizer state of one of our checkpoints: listed in its metadata, not weights. */
function checkpointState(metadata: Readonly<Record<string, string>>): string[] {
  const raw = metadata[CHECKPOINT_METADATA_KEY];
  if (raw === undefined) return [];
  try {
    const meta = JSON.parse(raw) as { state?: unknown };
    const names = Array.isArray(meta.state)
      ? meta.state.filter((s): s is string => typeof s === 'string')
      : [];
    return [...names.map(stateKey), stateKey('step')];
  } catch {
    return [];
  }
}

function readAt(fd: number, offset: number, length: number): Uint8Array {
  const buf = Buffer.alloc(length);
  let n = 0;
  while (n < length) {
    const r = fs.readSync(fd, buf, n, length - n, offset + n);
    if (r === 0) break;
    n += r;
  }
  return buf.subarray(0, n);
}

const asError = (e: unknown, shown: string): WeightsHeader => {
  if (e instanceof FsError) {
    if (e.code === 'missing') return { error: { code: 'DLM060', message: 'it does not exist' } };
    const p = e.problem;
    if (p) return { error: { code: p.code, message: p.message } };
    return { error: { code: 'DLM061', message: e.message } };
  }
  if (e instanceof SafetensorsError || e instanceof OnnxReadError)
    return {
      error: {
        code: 'DLM061',
        message: `${e.tensor !== undefined ? `tensor '${e.tensor}': ` : ''}${e.reason}`,
      },
    };
  return {
    error: { code: 'DLM061', message: `cannot read ${shown}: ${(e as Error).message}` },
  };
};

/** The tensors of a weights file (`p`: a native or POSIX path inside the workspace). */
export function readWeightsHeader(fsx: ConfinedFs, p: string): WeightsHeader {
  const shown = p;
  let fd: number | undefined;
  try {
    const opened = fsx.openRegular(fromPosix(p), MAX_WEIGHTS_BYTES);
    fd = opened.fd;
    const size = opened.size;
    const head = readAt(fd, 0, Math.min(size, 9));
    if (looksLikeSafetensors(head, size)) {
      const n = Number(new DataView(head.buffer, head.byteOffset, 8).getBigUint64(0, true));
      const prefix = readAt(fd, 0, Math.min(size, 8 + n));
      const h = decodeHeader(prefix, shown, size);
      return {
        format: 'safetensors',
        tensors: h.entries.map((e) => ({ name: e.name, shape: e.shape })),
        ignore: checkpointState(h.metadata),
      };
    }
    if (head.byteLength >= 8 && new TextDecoder().decode(head.subarray(0, 8)) === 'DLMCKPT1')
      return {
        error: {
          code: 'DLM061',
          message:
            'is a checkpoint in the old DLMCKPT1 format; resume the run once (it then writes best.safetensors) or export its weights with dlm export --pytorch',
        },
      };
    const all = readAt(fd, 0, size);
    const inits = readOnnxInitializers(all, shown);
    return {
      format: 'onnx',
      tensors: [...inits].map(([name, t]) => ({ name, shape: t.shape })),
      ignore: [],
    };
  } catch (e) {
    const err = asError(e, shown);
    if ('error' in err && err.error.code === 'DLM061' && e instanceof OnnxReadError && !e.tensor)
      return {
        error: {
          code: 'DLM061',
          message: `is neither a safetensors file nor an ONNX model (${e.reason})`,
        },
      };
    return err;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Parameter values from a model's `weights from` files, by parameter name. Throws on problems. */
export function loadWeightSources(model: CheckedModel, root: string): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  const sources = model.weights ?? [];
  if (sources.length === 0) return out;
  const fsx = new ConfinedFs(root);
  const params = namedParams(model);
  for (const src of sources) {
    if (src.path === undefined) continue;
    const abs = resolveRelative(model.file, src.path);
    const native = fromPosix(abs);
    const bytes = fsx.readBytes(native, MAX_WEIGHTS_BYTES);
    let tensors: ReadonlyMap<string, SafeTensor>;
    let ignore: string[] = [];
    if (looksLikeSafetensors(bytes, bytes.byteLength)) {
      const st = decode(bytes, src.path, { crc: fastCrc32 });
      tensors = st.tensors;
      ignore = checkpointState(st.metadata);
    } else tensors = readOnnxInitializers(bytes, src.path);
    const list: FileTensor[] = [...tensors].map(([name, t]) => ({ name, shape: t.shape }));
    const plan = planWeights(params, src, list, new Set(ignore));
    if (plan.shapeMismatch.length > 0) {
      const m = plan.shapeMismatch[0]!;
      throw new Error(
        `weights from '${src.path}': '${m.tensor}' is ${shapeText(m.shape)} but ${m.param.name} is ${shapeText(m.param.shape)}${plan.shapeMismatch.length > 1 ? ` (and ${plan.shapeMismatch.length - 1} more: ${nameList(plan.shapeMismatch.slice(1).map((x) => x.tensor))})` : ''}`,
      );
    }
    for (const [param, tensor] of plan.assign)
      out.set(param, floatData(tensors.get(tensor)!, src.path, tensor));
  }
  return out;
}
