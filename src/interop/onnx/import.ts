/**
 * ONNX → `.dlm`: the graph of ./graph.ts mapped to catalog layers, written as a model whose
 * layers are named as our summary names them, and the weights under those names (for a
 * safetensors file beside the `.dlm`).
 *
 * Mapping (docs/onnx-import.md has the table): a node that is one catalog layer (./layers.ts)
 * becomes that layer; patterns of several nodes become one layer: MatMul + Add(bias) → Dense,
 * Transpose → LSTM/GRU/RNN → Squeeze → Transpose (PyTorch's batch_first) → the recurrent layer,
 * Gather of the last time step → Select, ReduceMean over one axis → Mean. Dropout and Identity
 * disappear (inference graphs). Shape plumbing (Shape, Gather, Concat of shape values,
 * ConstantOfShape of zero initial states) computes no activation and is dropped. Any other node
 * that touches an activation stops the import with an OnnxImportError naming the node, its op type
 * and the reason: nothing is dropped silently.
 *
 * The parameter names come from checking the generated text (`modelNames`, the same prefixes the
 * summary, checkpoints and the export use), matched to the generated stages by source offset.
 */
import { formatShape, type Shape } from '../../core';
import { modelNames, qualifiedParam } from '../../compiler/forward';
import { getLayer } from '../../layers/catalog';
import { describeValue, type AttrValue } from '../../layers/types';
import { checkText, memoryHost } from '../../language/program';
import { f32Tensor, toFloat32, type SafeTensor } from '../safetensors';
import { graphOf, type OnnxGraph, type OnnxNode, type OnnxValue } from './graph';
import { decodeModel, tensorFromProto } from './initializers';
import { RNN_GATE_ORDER, layerOf, type LayerMapping, type ParamSource } from './layers';
import { findBlocks, shownAttrs, type BlockUse } from './blocks';
import { fuseEncoders, matchAttention, matchGelu, type Stage } from './patterns';

/** The import stopped at a node. */
export class OnnxImportError extends Error {
  constructor(
    readonly node: string,
    readonly opType: string,
    readonly reason: string,
    readonly code: string = 'DLM226',
  ) {
    super(`${code}: node '${node}' (${opType}): ${reason}`);
    this.name = 'OnnxImportError';
  }
}

export interface ImportOptions {
  readonly file?: string;
  /** The model's name in the .dlm (default: from the file name). */
  readonly modelName?: string;
  /**
   * The weights file beside the .dlm (a name relative to it): the model starts with
   * `weights from "<file>"`, so it initializes from the imported weights.
   */
  readonly weightsFile?: string;
}

export interface ImportResult {
  readonly text: string;
  readonly modelName: string;
  /** Weights by the summary's parameter names. */
  readonly weights: Map<string, SafeTensor>;
  /** Number of layers in the model. */
  readonly layers: number;
  readonly graph: OnnxGraph;
}

/** A PascalCase identifier from a file or graph name. */
export function modelNameOf(s: string): string {
  const base = s.replace(/^.*[\\/]/, '').replace(/\.onnx$/i, '');
  const parts = base.split(/[^A-Za-z0-9]+/).filter(Boolean);
  const name = parts.map((p) => p[0]!.toUpperCase() + p.slice(1)).join('');
  return /^[A-Za-z]/.test(name) ? name : `Model${name}`;
}

export function importOnnx(bytes: Uint8Array, opts: ImportOptions = {}): ImportResult {
  const file = opts.file ?? '<onnx>';
  const model = decodeModel(bytes, file);
  const g = graphOf(model, file);
  const err = g.diagnostics.find((d) => d.severity === 'error' || d.code === 'DLM222');
  if (err) {
    const n = g.nodes.find((x) => x.name === err.node);
    throw new OnnxImportError(err.node ?? file, n?.opType ?? '-', err.message, err.code);
  }
  const ext = g.diagnostics.find((d) => d.code === 'DLM224');
  if (ext) throw new OnnxImportError(file, '-', ext.message, 'DLM224');
  const { stages, outputAlias } = mapStages(g);
  const name = opts.modelName ?? modelNameOf(opts.file ?? (g.name || 'Imported'));
  const { text, offsets } = writeDlm(g, stages, outputAlias, name, opts);
  const weights = collectWeights(g, stages, text, offsets, file);
  return {
    text: withWeightsFrom(text, weights.size ? opts.weightsFile : undefined),
    modelName: name,
    weights,
    layers: stages.length,
    graph: g,
  };
}

// ------------------------------------------------------------------------------ mapping

function mapStages(g: OnnxGraph): { stages: Stage[]; outputAlias: Map<string, string> } {
  const outputAlias = new Map<string, string>();
  const v = (name: string) => g.values.get(name);
  const act = new Set<string>(g.inputs.map((i) => i.name));
  const alias = new Map<string, string>();
  const real = (n: string): string => alias.get(n) ?? n;
  const consumed = new Set<number>();
  const stages: Stage[] = [];
  const consumersOf = (name: string) => v(name)?.consumers ?? [];
  const nodeAt = (i: number) => g.nodes[i]!;
  const soleConsumer = (name: string): OnnxNode | undefined => {
    const c = consumersOf(name);
    const outputs = g.outputs.some((o) => o.name === name);
    return c.length === 1 && !outputs ? nodeAt(c[0]!) : undefined;
  };
  const stop: (n: OnnxNode, reason: string) => never = (n, reason) => {
    throw new OnnxImportError(n.name, n.opType, reason);
  };
  // Learned tensors: an initializer that a layer reads as a value, not as its weight
  // (`(h, pos) |> Add`), is a `param` declaration, one per initializer.
  const learnedOf = new Map<string, string>();
  const learned = (name: string, n: OnnxNode): string => {
    const val = v(name);
    const init = val?.aliasOf ?? name;
    const t = g.initializers.get(init);
    if (!val?.initializer || !t || val.elem !== 'float' || !val.shape?.every((d) => d.isConst()))
      stop(n, `it reads '${name}' as a value, which is neither an activation nor a learned tensor`);
    const known = learnedOf.get(init);
    if (known) return known;
    const shape = val.shape.map((d) => d.value!);
    stages.push({
      layer: 'Parameter',
      attrs: { shape },
      inputs: [],
      output: name,
      params: [{ param: '', from: init, transform: 'none' }],
      node: n,
      shared: init,
    });
    learnedOf.set(init, name);
    act.add(name);
    return name;
  };
  const emit = (
    n: OnnxNode,
    layer: string,
    attrs: Record<string, AttrValue>,
    inputs: string[],
    output: string,
    params: readonly ParamSource[] = [],
    outputs?: readonly string[],
  ) => {
    const ins = inputs.map((i) => (act.has(real(i)) ? real(i) : learned(i, n)));
    stages.push({
      layer,
      attrs,
      inputs: ins,
      output,
      params,
      node: n,
      ...(outputs ? { outputs } : {}),
    });
    act.add(output);
    for (const o of outputs ?? []) act.add(o);
  };
  /** Float initializers of more than one value that a node reads as data. */
  const isLearned = (val: OnnxValue | undefined) =>
    !!val?.initializer &&
    val.elem === 'float' &&
    !val.data &&
    (val.shape ?? []).reduce((a, d) => a * (d.value ?? 0), 1) > 1;
  const ints = (name: string | undefined) =>
    name ? v(name)?.data?.map((d) => d.value) : undefined;

  for (const n of g.nodes) {
    if (consumed.has(n.index)) continue;
    const actIns = n.inputs.filter((i) => i !== '' && act.has(i));
    if (actIns.length === 0) continue; // constants and shape plumbing
    const op = n.opType;
    const out = n.outputs[0]!;
    if (op === 'Shape' || op === 'Size') continue; // a shape value, not an activation
    // Identity, and a Dropout whose ratio is not a constant (the identity at inference, but no
    // Dropout(p) to write), pass their input on.
    if (op === 'Identity' || (op === 'Dropout' && !n.layer)) {
      if (n.outputs.slice(1).some((o) => consumersOf(o).length)) stop(n, 'its mask output is used');
      alias.set(out, real(n.inputs[0]!));
      act.add(out);
      continue;
    }
    // Recurrent layers: Transpose(1, 0, 2) → LSTM → Squeeze(1) → Transpose(1, 0, 2).
    if (op === 'Transpose' && !n.layer) {
      const perm = n.attrs.get('perm') as number[] | undefined;
      const rnn = soleConsumer(out);
      if (perm?.join() === '1,0,2' && rnn && ['LSTM', 'GRU', 'RNN'].includes(rnn.opType)) {
        const m =
          rnn.layer ??
          stop(
            rnn,
            'its attributes have no catalog form (layout, sequence_lens, clip, activations or a reverse direction)',
          );
        for (const k of [5, 6]) {
          const s = rnn.inputs[k];
          if (s && !isZeroState(g, s)) stop(rnn, 'a non-zero initial state is not supported');
        }
        if (rnn.outputs.slice(1).some((o) => o && consumersOf(o).length))
          stop(
            rnn,
            'its final states (Y_h, Y_c) are used; only the sequence output Y maps to a layer',
          );
        const dirs = m.attrs['bidirectional'] ? 2 : 1;
        let y = rnn.outputs[0]!;
        const fold = soleConsumer(y);
        // [T, D, B, H] → [T, B, D·H]: Squeeze(axis 1) for one direction, Transpose + Reshape for two.
        let next: OnnxNode | undefined;
        if (
          dirs === 1 &&
          fold?.opType === 'Squeeze' &&
          (ints(fold.inputs[1]) ?? (fold.attrs.get('axes') as number[]))?.join() === '1'
        ) {
          consumed.add(fold.index);
          y = fold.outputs[0]!;
          next = soleConsumer(y);
        } else
          stop(
            rnn,
            'its output is not folded back to [T, B, H] by Squeeze as PyTorch exports a one-directional layer',
          );
        if (
          !next ||
          next.opType !== 'Transpose' ||
          (next.attrs.get('perm') as number[])?.join() !== '1,0,2'
        )
          stop(rnn, 'its output is not transposed back to batch-first [B, T, H]');
        consumed.add(rnn.index);
        consumed.add(next.index);
        const attrs = { ...m.attrs };
        emit(rnn, m.layer, attrs, [n.inputs[0]!], next.outputs[0]!, m.params);
        continue;
      }
      // nn.MultiheadAttention (batch first): the whole pattern up to the transpose back.
      const att = matchAttention(g, n);
      if (typeof att !== 'string') {
        for (const i of att.nodes) consumed.add(i);
        emit(n, 'MultiHeadAttention', att.attrs, [att.input], att.output, att.params);
        continue;
      }
      stop(
        n,
        `a transpose (perm ${perm?.join(', ')}) with no catalog layer around it` +
          (perm?.join() === '1,0,2' ? ` (not nn.MultiheadAttention: ${att})` : ''),
      );
    }
    if (op === 'Gather' && !n.layer) {
      const axis = (n.attrs.get('axis') as number | undefined) ?? 0;
      const idx = ints(n.inputs[1]);
      const x = v(n.inputs[0]!)!;
      if (
        idx?.length === 1 &&
        idx[0] !== undefined &&
        v(n.inputs[1]!)!.shape?.length === 0 &&
        axis !== 0
      ) {
        const a = axis < 0 ? axis + x.shape!.length : axis;
        emit(n, 'Select', { axis: a, index: idx[0] }, [n.inputs[0]!], out);
        continue;
      }
      stop(n, 'a gather that is neither an embedding lookup nor one index along a non-batch axis');
    }
    if (op === 'ReduceMean' && !n.layer) {
      const axes = n.inputs[1] ? ints(n.inputs[1]) : (n.attrs.get('axes') as number[] | undefined);
      const keep = ((n.attrs.get('keepdims') as number | undefined) ?? 1) !== 0;
      const r = v(n.inputs[0]!)!.shape!.length;
      if (axes?.length === 1 && axes[0] !== undefined) {
        const a = axes[0] < 0 ? axes[0] + r : axes[0];
        if (a >= 1) {
          emit(n, 'Mean', keep ? { axis: a, keepdims: true } : { axis: a }, [n.inputs[0]!], out);
          continue;
        }
      }
      stop(n, 'a mean over several axes or the batch axis');
    }
    if (op === 'Div') {
      const gelu = matchGelu(g, n);
      if (gelu) {
        for (const i of gelu.nodes) consumed.add(i);
        emit(n, 'GELU', {}, [gelu.input], gelu.output);
        continue;
      }
    }
    if (op === 'Reshape' && !n.layer) {
      const x = v(n.inputs[0]!)!;
      const target = v(n.outputs[0]!)!.shape!;
      if (
        x.shape &&
        target[0]?.equals(x.shape[0]!) &&
        target.slice(1).every((d) => d.value !== undefined)
      ) {
        emit(n, 'Reshape', { shape: target.slice(1).map((d) => d.value!) }, [n.inputs[0]!], out);
        continue;
      }
      stop(n, `a reshape to ${formatShape(target)} that does not keep the batch axis`);
    }
    // A layer that reads a learned tensor as a value (`(h, pos) |> Add`): the mapping with that
    // input as an activation.
    const withLearned = () => {
      const ins = n.inputs.map((i) => (i === '' ? undefined : v(i)));
      if (n.domain !== '' || !ins.some(isLearned)) return undefined;
      const asValues = ins.map((x) =>
        x && isLearned(x) ? { ...x, initializer: false, aliasOf: undefined } : x,
      );
      return layerOf(n, asValues, g.opset);
    };
    const m: LayerMapping =
      n.layer ??
      withLearned() ??
      stop(
        n,
        g.nodes.some((x) => x.opType === 'Softmax') &&
          (op === 'MatMul' || op === 'Mul' || op === 'Div')
          ? 'no catalog layer computes it (attention patterns other than a whole nn.MultiheadAttention are not mapped)'
          : 'no catalog layer computes it',
      );
    if (m.missing)
      stop(
        n,
        `${m.layer}'s ${m.missing.join(', ')} ${m.missing.length > 1 ? 'are' : 'is'} not among the node's initializers in a form the importer reads`,
      );
    // Outputs after the first that are read: the layer's own (a recurrent layer's final state
    // with return_state=true), bound as a tuple.
    const later = n.outputs
      .slice(1)
      .some((o) => o && (consumersOf(o).length || g.outputs.some((x) => x.name === o)));
    if (later && (m.outputs?.length ?? 1) !== n.outputs.length)
      stop(
        n,
        `its outputs after the first are used, and ${m.layer} has ${m.outputs?.length ?? 1} output(s), not ${n.outputs.length}`,
      );
    // MatMul + Add(bias) → Dense with bias.
    if (n.opType === 'MatMul' && m.layer === 'Dense') {
      const add = soleConsumer(out);
      const other = add?.inputs.find((i) => i !== out);
      const bias = other ? v(other) : undefined;
      const outF = m.attrs['out'] as number;
      if (
        add?.opType === 'Add' &&
        bias?.initializer &&
        bias.shape?.length === 1 &&
        bias.shape[0]!.value === outF
      ) {
        consumed.add(add.index);
        emit(n, 'Dense', { out: outF }, [n.inputs[0]!], add.outputs[0]!, [
          ...m.params,
          { param: 'bias', from: bias.aliasOf ?? other!, transform: 'none' },
        ]);
        continue;
      }
    }
    emit(
      n,
      m.layer,
      { ...m.attrs },
      m.dataInputs.map((i) => n.inputs[i]!),
      out,
      m.params,
      later ? n.outputs : undefined,
    );
  }
  for (const o of g.outputs)
    if (!act.has(real(o.name)) && !stages.some((s) => s.output === real(o.name)))
      throw new OnnxImportError(
        o.name,
        '-',
        'the graph output is a constant, not computed from the inputs',
      );
  // Graph outputs that are aliases (Identity/Dropout) read the underlying value.
  for (const o of g.outputs) if (alias.has(o.name)) outputAlias.set(o.name, real(o.name));
  const outs = new Set(g.outputs.map((o) => real(o.name)));
  return { stages: sharedLayers(fuseEncoders(stages, outs)), outputAlias };
}

/**
 * Weights that several stages read. ONNX has one initializer per tensor and the uses: a layer
 * used twice (`layer shared = Dense(64)`) reads all its initializers again, and a Dense tied to an
 * Embedding (`Dense(V, tie=embed)`, GPT-2's output layer) reads the embedding's table as its
 * weight. The first becomes one `layer` declaration used at each place, the second a `tie=`;
 * any other sharing (a part of a layer's weights) stops the import and names the initializer.
 */
function sharedLayers(stages: readonly Stage[]): Stage[] {
  const readers = new Map<string, number[]>();
  stages.forEach((s, k) => {
    if (s.layer === 'Parameter') return;
    for (const p of s.params) {
      const r = readers.get(p.from) ?? [];
      if (!r.includes(k)) r.push(k);
      readers.set(p.from, r);
    }
  });
  const out = [...stages];
  const used = new Set(stages.flatMap((s) => (s.shared ? [s.shared] : [])));
  const nameOf = new Map<number, string>();
  const declare = (k: number) => {
    let name = nameOf.get(k);
    if (!name) {
      const base = ident(stages[k]!.node.name.replace(/#\d+$/, ''), used);
      name = base;
      nameOf.set(k, name);
      out[k] = { ...out[k]!, shared: name };
    }
    return name;
  };
  const sameCall = (a: Stage, b: Stage) =>
    a.layer === b.layer &&
    JSON.stringify(shownAttrs(a.layer, a.attrs)) === JSON.stringify(shownAttrs(b.layer, b.attrs)) &&
    a.params.length === b.params.length &&
    a.params.every((p, i) => {
      const q = b.params[i]!;
      return (
        p.param === q.param &&
        p.from === q.from &&
        JSON.stringify(p.transform) === JSON.stringify(q.transform)
      );
    });
  stages.forEach((s, k) => {
    if (s.layer === 'Parameter') return;
    const firsts = s.params.map((p) => readers.get(p.from)![0]!);
    if (firsts.every((f) => f === k)) return;
    const owner = stages[firsts.find((f) => f !== k)!]!;
    const ownerK = stages.indexOf(owner);
    if (sameCall(owner, s)) {
      out[k] = { ...s, shared: declare(ownerK) };
      return;
    }
    const w = s.params.find((p) => p.param === 'weight');
    const table = owner.params.find((p) => p.param === 'weight');
    if (
      s.layer === 'Dense' &&
      owner.layer === 'Embedding' &&
      w?.from === table?.from &&
      w?.transform === 'none' &&
      s.params.every((p) => p === w || readers.get(p.from)![0] === k)
    ) {
      out[k] = {
        ...s,
        attrs: { ...s.attrs, tie: declare(ownerK) },
        params: s.params.filter((p) => p !== w),
      };
      return;
    }
    const p = s.params.find((q) => readers.get(q.from)![0] !== k)!;
    throw new OnnxImportError(
      s.node.name,
      s.node.opType,
      `its ${s.layer}'s ${p.param} is the initializer '${p.from}', which '${owner.node.name}' (${owner.layer}) also reads; only a whole layer used again or a Dense tied to an Embedding's table is mapped`,
    );
  });
  return out;
}

function isZeroState(g: OnnxGraph, name: string): boolean {
  const v = g.values.get(name);
  if (!v) return false;
  if (v.initializer) return false;
  const p = v.producer === undefined ? undefined : g.nodes[v.producer];
  if (p?.opType !== 'ConstantOfShape') return false;
  const t = p.attrs.get('value');
  if (!t || typeof t !== 'object' || Array.isArray(t)) return true; // default 0
  const arr = toFloat32(tensorFromProto(t));
  return arr.every((x) => x === 0);
}

// ------------------------------------------------------------------------------ writing

/**
 * A layer call: attributes that are the layer's defaults are left out, the rest in the catalog's
 * order, positional while they can be. `refs` writes a block parameter's name for an attribute.
 */
function callText(
  layer: string,
  attrs: Readonly<Record<string, AttrValue>>,
  refs: ReadonlyMap<string, string> = new Map(),
): string {
  // `tie=embed` names a shared layer: written bare, as the language reads it.
  if (typeof attrs['tie'] === 'string' && !refs.has('tie'))
    refs = new Map([...refs, ['tie', attrs['tie']]]);
  const def = getLayer(layer)!;
  const shown = new Map(shownAttrs(layer, attrs));
  const args: string[] = [];
  let positional = true;
  for (const spec of def.attrs) {
    const val = shown.get(spec.name);
    if (val === undefined) {
      if (def.positional.includes(spec.name)) positional = false;
      continue;
    }
    const text = refs.get(spec.name) ?? describeValue(val);
    const k = def.positional.indexOf(spec.name);
    if (positional && k === args.length) args.push(text);
    else {
      positional = false;
      args.push(`${spec.name}=${text}`);
    }
  }
  return args.length ? `${layer}(${args.join(', ')})` : layer;
}

function shapeText(v: OnnxValue): string {
  const s: Shape = v.shape ?? [];
  const t = formatShape(s);
  return v.elem === 'int' ? `int${t}` : t;
}

/** One step of a body: a stage, or a use of a block (which stands for its member stages). */
interface Item {
  readonly inputs: readonly string[];
  readonly output: string;
  /** Every output, when later ones are read: the statement binds them as a tuple. */
  readonly outputs?: readonly string[];
  readonly call: string;
  /** The global stage index whose call this is (-1 for a block use). */
  readonly stage: number;
}

function ident(s: string, used: Set<string>): string {
  let base = s.replace(/[^A-Za-z0-9_]/g, '_').replace(/^(\d)/, '_$1');
  if (!/^[A-Za-z_]/.test(base) || base === '') base = `v${base}`;
  let n = base;
  for (let k = 1; used.has(n) || KEYWORDS.has(n); k++) n = `${base}_${k}`;
  used.add(n);
  return n;
}

/**
 * Statements for `items`: a step continues the previous statement's pipeline when it reads only
 * that statement's value and nothing else reads it; consecutive identical calls become `repeat`.
 * `names` holds the names already bound (inputs), `outNames` the names of values the caller
 * returns. `at(stage, offset)` receives each stage call's offset in the text (`base` + written).
 */
function writeStatements(
  items: readonly Item[],
  names: Map<string, string>,
  used: Set<string>,
  outNames: ReadonlyMap<string, string>,
  finalReads: readonly string[],
  base: number,
  at: (stage: number, offset: number) => void,
  bareLast: boolean,
): string {
  const uses = new Map<string, number>();
  for (const it of items) for (const i of it.inputs) uses.set(i, (uses.get(i) ?? 0) + 1);
  for (const o of finalReads) uses.set(o, (uses.get(o) ?? 0) + 1);
  interface Stmt {
    src: readonly string[];
    calls: { text: string; stage: number }[];
    out: string;
    outs?: readonly string[];
  }
  const stmts: Stmt[] = [];
  for (const it of items) {
    const prev = stmts[stmts.length - 1];
    const call = { text: it.call, stage: it.stage };
    if (
      prev &&
      !prev.outs &&
      it.inputs.length === 1 &&
      it.inputs[0] === prev.out &&
      uses.get(prev.out) === 1 &&
      !outNames.has(prev.out)
    ) {
      prev.calls.push(call);
      prev.out = it.output;
      if (it.outputs) prev.outs = it.outputs;
      continue;
    }
    stmts.push({
      src: it.inputs,
      calls: [call],
      out: it.output,
      ...(it.outputs ? { outs: it.outputs } : {}),
    });
  }
  let text = '';
  stmts.forEach((st, k) => {
    const bare = bareLast && k === stmts.length - 1 && !st.outs;
    const bind = (o: string) => {
      const id = outNames.get(o) ?? ident(uses.get(o) ? `h${names.size}` : `_h${names.size}`, used);
      names.set(o, id);
      return id;
    };
    const out = bare ? '' : st.outs ? `(${st.outs.map(bind).join(', ')})` : bind(st.out);
    const src = st.src.map((i) => names.get(i) ?? i);
    const from = src.length === 1 ? src[0]! : `(${src.join(', ')})`;
    let line = bare ? `  ${from}` : `  ${out} = ${from}`;
    for (const run of repeats(st.calls.map((c) => c.text))) {
      const piece = (k: number) => st.calls[run.start + k]!;
      const body = Array.from({ length: run.period }, (_, k) => piece(k).text).join(' |> ');
      const head = run.count > 1 ? `repeat ${run.count} ${run.period > 1 ? '(' : ''}` : '';
      if (line.length + head.length + body.length > 96) {
        text += `${line}\n`;
        line = '   ';
      }
      line += ` |> ${head}`;
      for (let k = 0; k < run.period; k++) {
        if (k > 0) line += ' |> ';
        for (let r = 0; r < run.count; r++) {
          const stage = st.calls[run.start + r * run.period + k]!.stage;
          if (stage >= 0) at(stage, base + text.length + line.length);
        }
        line += piece(k).text;
      }
      if (run.count > 1 && run.period > 1) line += ')';
    }
    text += `${line}\n`;
  });
  return text;
}

function writeDlm(
  g: OnnxGraph,
  stages: readonly Stage[],
  outputAlias: ReadonlyMap<string, string>,
  name: string,
  opts: ImportOptions,
): { text: string; offsets: Map<number, number> } {
  const used = new Set<string>();
  const names = new Map<string, string>();
  for (const i of g.inputs) names.set(i.name, ident(i.name, used));
  const outNames = new Map<string, string>();
  for (const o of g.outputs) outNames.set(outputAlias.get(o.name) ?? o.name, ident(o.name, used));
  const finalReads = [...outNames.keys()];
  // stage → offset of its call in the text (stages inside a `repeat` or a block share it)
  const offsets = new Map<number, number>();
  let text = `// Imported from ${opts.file ? opts.file.replace(/^.*[\\/]/, '') : 'an ONNX file'} (opset ${g.opset}${g.producer ? `, ${g.producer}` : ''}) by \`dlm import\`.\n`;

  // Residual subgraphs used at least twice become blocks (not across shared layers, learned
  // tensors or layers with several outputs: a block body sees only its input).
  const plain = stages.every((s) => !s.shared && !s.outputs);
  const blockUses = plain ? findBlocks(stages, new Set(finalReads), new Set([name, ...used])) : [];
  const useAt = new Map<number, BlockUse>();
  const inBlock = new Set<number>();
  for (const u of blockUses) {
    useAt.set(u.members[0]!, u);
    for (const m of u.members) inBlock.add(m);
  }
  const blocks = [...new Set(blockUses.map((u) => u.block))];
  for (const b of blocks) {
    const first = b.uses[0]!;
    const params = b.params.map((p) => `${p.name}: ${p.type}`).join(', ');
    text += `\nblock ${b.name}${params ? `(${params})` : ''}(x) {\n`;
    const bodyItems: Item[] = first.members.map((k, p) => ({
      inputs: stages[k]!.inputs,
      output: stages[k]!.output,
      call: callText(stages[k]!.layer, stages[k]!.attrs, b.refs[p]),
      stage: p,
    }));
    const bodyUsed = new Set(['x', ...b.params.map((p) => p.name)]);
    const bodyNames = new Map([[first.input, 'x']]);
    text += writeStatements(
      bodyItems,
      bodyNames,
      bodyUsed,
      new Map(),
      [first.output],
      text.length,
      (p, offset) => {
        for (const u of b.uses) offsets.set(u.members[p]!, offset);
      },
      true,
    );
    text += '}\n';
  }

  const sig = g.inputs.map((i) => `${names.get(i.name)}: ${shapeText(i)}`).join(', ');
  const outs = g.outputs.map(
    (o) => `${outNames.get(outputAlias.get(o.name) ?? o.name)}: ${shapeText(o)}`,
  );
  text += `\nmodel ${name}(${sig}) -> ${outs.length === 1 ? shapeText(g.outputs[0]!) : `(${outs.join(', ')})`} {\n`;
  // Shared layers and learned tensors are declared first: `layer embed = Embedding(…)`,
  // `param pos = Parameter((1, 32, 64))`; a stage using a shared layer is its name.
  const declared = new Map<string, string>();
  const declName = (shared: string) => {
    let id = declared.get(shared);
    if (!id) declared.set(shared, (id = ident(shared, used)));
    return id;
  };
  const callOf = (s: Stage) => {
    const attrs =
      typeof s.attrs['tie'] === 'string' ? { ...s.attrs, tie: declName(s.attrs['tie']) } : s.attrs;
    return callText(s.layer, attrs);
  };
  stages.forEach((s, k) => {
    if (!s.shared || declared.has(s.shared)) return;
    const id = declName(s.shared);
    const kw = s.layer === 'Parameter' ? 'param' : 'layer';
    const line = `  ${kw} ${id} = `;
    if (s.layer === 'Parameter') {
      offsets.set(k, text.length + line.length);
      names.set(s.output, id);
    }
    text += `${line}${callOf(s)}\n`;
  });
  const items: Item[] = [];
  stages.forEach((s, k) => {
    if (s.layer === 'Parameter') return;
    const u = useAt.get(k);
    if (u) {
      const args = u.args.map((a) => describeValue(a)).join(', ');
      items.push({
        inputs: [u.input],
        output: u.output,
        call: args ? `${u.block.name}(${args})` : u.block.name,
        stage: -1,
      });
    } else if (!inBlock.has(k))
      items.push({
        inputs: s.inputs,
        output: s.output,
        ...(s.outputs ? { outputs: s.outputs } : {}),
        call: s.shared ? declName(s.shared) : callOf(s),
        stage: k,
      });
  });
  text += writeStatements(
    items,
    names,
    used,
    outNames,
    finalReads,
    text.length,
    (k, offset) => offsets.set(k, offset),
    false,
  );
  const ret = g.outputs.map((o) => names.get(outputAlias.get(o.name) ?? o.name) ?? o.name);
  text += `  return ${ret.join(', ')}\n}\n`;
  return { text, offsets };
}

/**
 * The model initializes from the weights file beside it: `weights from "model.safetensors"` as
 * the body's first statement (added after the naming check, which has no such file).
 */
function withWeightsFrom(text: string, file: string | undefined): string {
  if (!file) return text;
  const body = text.indexOf('\n', text.indexOf('\nmodel ') + 1) + 1;
  return `${text.slice(0, body)}  weights from ${JSON.stringify(file)}\n${text.slice(body)}`;
}

/**
 * A pipeline's calls as runs: consecutive repetitions of the same period of calls become one
 * `repeat count (…)` (the greedy longest cover at each position), everything else count 1.
 */
export function repeats(
  calls: readonly string[],
): { start: number; period: number; count: number }[] {
  const out: { start: number; period: number; count: number }[] = [];
  let i = 0;
  while (i < calls.length) {
    let best = { start: i, period: 1, count: 1 };
    for (let p = 1; i + 2 * p <= calls.length; p++) {
      let count = 1;
      const same = (a: number, b: number) => {
        for (let k = 0; k < p; k++) if (calls[a + k] !== calls[b + k]) return false;
        return true;
      };
      while (i + (count + 1) * p <= calls.length && same(i, i + count * p)) count++;
      if (count > 1 && count * p > best.count * best.period) best = { start: i, period: p, count };
    }
    out.push(best);
    i += best.period * best.count;
  }
  return out;
}

const KEYWORDS = new Set(
  'model block data train import layer repeat frozen if else return and or not true false'.split(
    ' ',
  ),
);

// ------------------------------------------------------------------------------ weights

function collectWeights(
  g: OnnxGraph,
  stages: readonly Stage[],
  text: string,
  offsets: ReadonlyMap<number, number>,
  file: string,
): Map<string, SafeTensor> {
  const path = '/import.dlm';
  const r = checkText(path, text, memoryHost({ [path]: text }));
  const m = r.models[0];
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  if (!m || errors.length)
    throw new Error(
      `the generated .dlm does not check (please report): ${errors.map((e) => `${e.code} ${e.message}`).join('; ')}`,
    );
  const prefixes = modelNames(m).nodes;
  // Checked nodes by the offset of their call; a call inside `repeat n` has n nodes, in order.
  const byOffset = new Map<number, number[]>();
  m.nodes.forEach((n, k) => {
    const list = byOffset.get(n.nameSpan.start) ?? [];
    list.push(k);
    byOffset.set(n.nameSpan.start, list);
  });
  const weights = new Map<string, SafeTensor>();
  stages.forEach((s, k) => {
    if (!s.params.length) return;
    const node = byOffset.get(offsets.get(k)!)?.shift();
    if (node === undefined)
      throw new Error(`import: stage ${k} (${s.layer}) not found in the checked model`);
    const prefix = prefixes[node]!;
    const specs = new Map(m.nodes[node]!.params.map((p) => [p.name, p.shape]));
    for (const p of s.params) {
      const proto = g.initializers.get(p.from)!;
      const t = tensorFromProto(proto, file);
      const data = convert(toFloat32(t, file, p.from), t.shape, p);
      const shape = specs.get(p.param);
      if (!shape) throw new Error(`import: ${s.layer} has no parameter ${p.param}`);
      if (shape.reduce((a, b) => a * b, 1) !== data.length)
        throw new OnnxImportError(
          s.node.name,
          s.node.opType,
          `initializer '${p.from}' has ${data.length} values, ${s.layer}'s ${p.param} needs [${shape.join(', ')}]`,
        );
      weights.set(qualifiedParam(prefix, p.param), f32Tensor(shape, data));
    }
  });
  return weights;
}

function convert(x: Float32Array, shape: readonly number[], p: ParamSource): Float32Array {
  const t = p.transform;
  if (t === 'none') return x;
  if (t === 'transpose') {
    const [r, c] = shape as [number, number];
    const y = new Float32Array(x.length);
    for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) y[j * r + i] = x[i * c + j]!;
    return y;
  }
  const order = RNN_GATE_ORDER[t.op];
  const gates = order.length;
  if (t.kind === 'rnn-weight') {
    const [, gh, k] = shape as [number, number, number];
    const h = gh / gates;
    const slice = x.subarray(t.dir * gh * k, (t.dir + 1) * gh * k);
    const y = new Float32Array(gh * k);
    order.forEach((src, dst) => y.set(slice.subarray(src * h * k, (src + 1) * h * k), dst * h * k));
    return y;
  }
  const [, twoGH] = shape as [number, number];
  const gh = twoGH / 2;
  const h = gh / gates;
  const slice = x.subarray(t.dir * twoGH + t.half * gh, t.dir * twoGH + (t.half + 1) * gh);
  const y = new Float32Array(gh);
  order.forEach((src, dst) => y.set(slice.subarray(src * h, (src + 1) * h), dst * h));
  return y;
}
