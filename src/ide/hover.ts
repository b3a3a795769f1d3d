/**
 * Hover: markdown for whatever is under the cursor, computed from the checked result.
 */
import { Dim, lineIndex, type Shape, type Span } from '../core';
import { getLayer } from '../layers/catalog';
import { describeType, formatValue } from '../layers/attrs';
import type { AttrSpec, AttrValue } from '../layers/types';
import type {
  BlockItem,
  Body,
  DataItem,
  Expr,
  ModelItem,
  Pipeline,
  SourceFile,
  Stmt,
  TrainItem,
} from '../language/ast';
import type { CheckResult, CheckedModel, CheckedTrain, LayerNode } from '../language/checked';
import { nodePrefixes } from '../language/names';
import { savedActivations } from '../language/memory';
import { megabytes, optimizerState, trainingMemory, BYTES_PER_ELEMENT } from '../language/summary';
import {
  DATASETS,
  EARLY_STOPPING,
  LOSSES,
  METRICS,
  OPTIMIZERS,
  SCHEDULES,
  SETTINGS,
  type CallableSpec,
} from '../language/training';
import {
  computeText,
  groupsAt,
  md,
  codeBlock,
  escapeMarkdown,
  mdCell,
  nodesAt,
  nodesInGroup,
  sameSpan,
  shapeText,
  shapesText,
  stageShapeAt,
  thousands,
  type DisplayOptions,
  DEFAULT_DISPLAY,
} from './common';
import {
  blockParamSym,
  indexFile,
  itemOfSym,
  occurrenceAt,
  type FileIndex,
  type Occurrence,
  type Sym,
} from './index';

export interface Hover {
  readonly markdown: string;
  readonly span: Span;
}

export function hover(
  result: CheckResult,
  file: string,
  offset: number,
  opts: DisplayOptions = DEFAULT_DISPLAY,
): Hover | undefined {
  const ix = indexFile(result, file);
  if (!ix) return undefined;
  const occ = occurrenceAt(ix, offset);
  if (!occ) return undefined;
  const markdown = hoverText(result, ix, occ, opts);
  return markdown ? { markdown, span: occ.span } : undefined;
}

function hoverText(
  result: CheckResult,
  ix: FileIndex,
  occ: Occurrence,
  opts: DisplayOptions,
): string | undefined {
  const { sym } = occ;
  switch (sym.kind) {
    case 'layer':
    case 'shared':
      if (!occ.decl) {
        const nodes = nodesAt(result, ix.file, occ.span);
        if (nodes.length) return layerHover(result, ix, nodes, opts, sym);
      }
      if (sym.kind === 'shared') return sharedDeclHover(result, ix, sym, opts);
      return catalogLayerDoc(sym.name);
    case 'block':
      return occ.decl ? blockDeclHover(result, sym) : blockUseHover(result, ix, occ, opts);
    case 'model':
      return modelHover(result, sym, opts);
    case 'dim':
      return dimHover(result, ix, sym, opts);
    case 'binding':
    case 'input':
      return bindingHover(result, ix, sym, opts);
    case 'param':
      return paramHover(result, sym);
    case 'data':
      return dataHover(result, sym);
    case 'import':
      return importHover(result, sym);
    case 'attr':
      return attrHover(result, ix, occ);
    case 'setting':
      return settingHover(result, ix, occ);
    case 'dataset':
    case 'loss':
    case 'optimizer':
    case 'schedule':
      return callableHover(result, ix, occ);
    case 'metric': {
      const m = METRICS.find((x) => x.name === sym.name);
      return m ? `**metric** ${md(m.name)}\n\n${m.doc}` : undefined;
    }
    default:
      return undefined;
  }
}

// ------------------------------------------------------------------ layers

function catalogLayerDoc(name: string): string | undefined {
  const def = getLayer(name);
  if (!def) return undefined;
  return `**${def.name}** (${def.category}): ${def.summary}\n\n---\n\n${def.doc}`;
}

function paramLines(node: LayerNode): string[] {
  if (node.sharedRepeat)
    return ['Parameters: shared with the first use of this layer instance (counted once).'];
  if (node.params.length === 0) return ['Parameters: none'];
  const lines: string[] = [];
  const tieOf = (p: (typeof node.params)[number]) => node.tied?.find((t) => t.param === p.name);
  const tiedLines = node.params
    .filter((p) => tieOf(p))
    .map(
      (p) =>
        `- ${md(p.name)} ${p.shape.join('·')}: shared with ${md(tieOf(p)!.owner)} (counted there; gradients from both uses add up)`,
    );
  const trainable = node.params.filter((p) => p.trainable && !node.frozen && !tieOf(p));
  const frozen = node.params.filter((p) => (!p.trainable || node.frozen) && !tieOf(p));
  const count = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
  const item = (p: (typeof node.params)[number]): string => {
    const n = count(p.shape);
    const f = p.formula ?? p.shape.join('·');
    const name = p.name || node.binding || 'value';
    return f === String(n)
      ? `- ${md(name)} ${thousands(n)}`
      : `- ${md(name)} ${f} = ${thousands(n)}`;
  };
  const tSum = trainable.reduce((a, p) => a + count(p.shape), 0);
  const fSum = frozen.reduce((a, p) => a + count(p.shape), 0);
  lines.push(
    `**Parameters** ${thousands(tSum + fSum)}${node.frozen ? ' (frozen: none trained)' : fSum ? ` (${thousands(tSum)} trainable, ${thousands(fSum)} non-trainable)` : ''}`,
  );
  for (const p of trainable) lines.push(item(p));
  if (trainable.length > 1) {
    const formula = trainable.map((p) => p.formula ?? p.shape.join('·')).join(' + ');
    lines.push(`- total trainable ${formula} = ${thousands(tSum)}`);
  }
  for (const p of frozen)
    lines.push(`${item(p)} (${node.frozen && p.trainable ? 'frozen' : 'non-trainable'})`);
  lines.push(...tiedLines);
  return lines;
}

function computeLine(macs: Dim, opts: DisplayOptions, prefix = ''): string {
  const c = computeText(macs, opts);
  const label = opts.macsOrFlops === 'flops' ? 'FLOPs (2·MACs)' : 'MACs';
  // plain text, not a code span: a code span's padding reads as a space before the semicolon.
  // Dim names come from the user's file: the characters markdown acts on are escaped.
  const count = c.symbolic.replace(/[\\`*_[\]<>#!|~&]/g, '\\$&');
  if (macs.value !== undefined || c.atB1 === undefined) return `**${prefix}${label}** ${count}`;
  return `**${prefix}${label}** ${count}; ${thousands(c.atB1)} for B = 1`;
}

function ioText(model: CheckedModel, node: LayerNode, opts: DisplayOptions): string {
  const shape = (id: number): Shape | undefined => model.values[id]?.shape;
  const ins = node.inputs.map(shape);
  const outs = node.outputs.map(shape);
  return `${md(shapesText(ins, opts.shapeStyle))} → ${md(shapesText(outs, opts.shapeStyle))}`;
}

function groupPath(model: CheckedModel, node: LayerNode): string {
  const labels: string[] = [];
  const byId = new Map(model.groups.map((g) => [g.id, g]));
  for (
    let g = node.group !== undefined ? byId.get(node.group) : undefined;
    g;
    g = g.parent !== undefined ? byId.get(g.parent) : undefined
  )
    labels.unshift(g.label);
  return labels.length ? `${model.name} › ${labels.join(' › ')}` : model.name;
}

/**
 * The layer's part of the training memory at the train section's batch (B = 1 without one):
 * activations it keeps for the backward pass, and the gradients and optimizer state of its
 * trainable parameters.
 */
function memoryLine(result: CheckResult, model: CheckedModel, node: LayerNode): string {
  const train = result.trains.find((t) => t.model === model.name);
  const batch = train?.batch ?? 1;
  const optName = train?.optimizer.name ?? 'Adam';
  const opt = optimizerState(optName, train?.optimizer.args);
  const kept = (savedActivations(model).byNode.get(node.id) ?? Dim.const(0)).subst(
    new Map([['B', Dim.const(batch)]]),
  );
  const trainable =
    node.frozen || node.sharedRepeat
      ? 0
      : node.params
          .filter((p) => p.trainable && !node.tied?.some((t) => t.param === p.name))
          .reduce((a, p) => a + p.shape.reduce((x, y) => x * y, 1), 0);
  const mb = (c: number | string): string =>
    `${megabytes(c).replace(/[\\`*_[\]<>#!|~&]/g, '\\$&')}${typeof c === 'number' ? ' MB' : ''}`;
  const what = node.def.savedFormula ? ` (${escapeMarkdown(node.def.savedFormula)})` : '';
  const parts = [`kept for backward ${mb(kept.value ?? kept.toString())}${what}`];
  if (trainable > 0) {
    parts.push(`gradients ${mb(trainable * BYTES_PER_ELEMENT)}`);
    parts.push(`${escapeMarkdown(optName)} state ${mb(trainable * opt.count * BYTES_PER_ELEMENT)}`);
  }
  return `**Training memory** at B = ${batch}: ${parts.join(' · ')}`;
}

/** The most distinct input → output shapes a layer's hover lists for the uses of one stage. */
const MAX_USE_SHAPES = 12;

function layerHover(
  result: CheckResult,
  ix: FileIndex,
  nodes: { model: CheckedModel; node: LayerNode }[],
  opts: DisplayOptions,
  sym: Sym,
): string {
  const { model, node } = nodes[0]!;
  const def = node.def;
  const out: string[] = [];
  // A shared layer's node label already carries its name (`embed: Embedding(28, 64)`).
  const call = node.label.startsWith(`${sym.name}: `)
    ? node.label.slice(sym.name.length + 2)
    : node.label;
  const title = sym.kind === 'shared' ? `layer ${sym.name} = ${call}` : node.label;
  out.push(
    `**${md(title)}**${sym.kind === 'shared' ? ' (shared layer instance: tied weights)' : ''}`,
  );
  out.push(ioText(model, node, opts));
  if (node.error) out.push(`⚠ ${escapeMarkdown(node.error)}`);
  if (node.error) out.push('Parameters and MACs: unknown until the error is fixed.');
  else {
    out.push(paramLines(node).join('\n'));
    if (node.params.length > 0 && !node.sharedRepeat) {
      const prefix = nodePrefixes(model)[node.id]!;
      out.push(
        `**Names** ${node.params.map((p) => md(`${prefix}.${p.name}`)).join(', ')} (checkpoints, exports, \`weights from\`)`,
      );
    }
    if (node.frozen) {
      const n = node.params
        .filter((p) => p.trainable)
        .reduce((a, p) => a + p.shape.reduce((x, y) => x * y, 1), 0);
      out.push(
        `❄ **Frozen**: ${n ? `its ${thousands(n)} parameters are not trained, and it` : 'it'} runs in eval mode (BatchNorm on its running statistics, no dropout)`,
      );
    }
    out.push(computeLine(node.macs, opts));
    out.push(memoryLine(result, model, node));
  }
  if (node.rf) {
    out.push(
      `**Receptive field** ${node.rf.size.join('×')} input pixels (jump ${node.rf.jump.join('×')})`,
    );
  }
  for (const n of node.notes ?? []) out.push(`*Note:* ${n}`);
  if (nodes.length > 1) {
    const io = new Map<string, number>();
    for (const { model: m, node: n } of nodes) {
      const k = ioText(m, n, opts);
      io.set(k, (io.get(k) ?? 0) + 1);
    }
    // Parameter lists are shared between nodes from the same shape-rule result: compare texts
    // only for distinct lists.
    const paramLists = new Set(nodes.map(({ node: n }) => n.params));
    const paramsDiffer =
      paramLists.size > 1 &&
      new Set([...paramLists].map((ps) => ps.map((p) => p.shape.join('x')).join('|'))).size > 1;
    let line = `**Used ${nodes.length} times**`;
    if (io.size > 1) {
      const listed = [...io].slice(0, MAX_USE_SHAPES);
      line +=
        `; shapes differ${io.size > listed.length ? ` (${io.size} distinct, the first ${listed.length} in use order)` : ''}:\n` +
        listed.map(([k, c]) => `- ${k}${c > 1 ? ` (×${c})` : ''}`).join('\n') +
        (io.size > listed.length ? `\n- … ${io.size - listed.length} more` : '');
      if (paramsDiffer)
        line +=
          '\n\nThe numbers above are for the first use, in ' + md(groupPath(model, node)) + '.';
    } else line += ` with the same shapes (first use in ${md(groupPath(model, node))}).`;
    out.push(line);
  } else if (node.group !== undefined) out.push(`In ${md(groupPath(model, node))}.`);
  void result;
  void ix;
  return out.join('\n\n') + `\n\n---\n\n${def.doc}`;
}

function sharedDeclHover(
  result: CheckResult,
  ix: FileIndex,
  sym: Sym,
  opts: DisplayOptions,
): string {
  // The declaration `layer enc = Dense(64)`: hover the uses' first node.
  const uses = ix.occurrences.filter((o) => o.sym.id === sym.id && !o.decl);
  for (const u of uses) {
    const nodes = nodesAt(result, ix.file, u.span);
    if (nodes.length)
      return (
        layerHover(result, ix, nodes, opts, sym) +
        `\n\nUsed ${uses.length} ${uses.length === 1 ? 'time' : 'times'}; its weights are counted once.`
      );
  }
  return `**layer ${sym.name}**: a shared layer instance (tied weights), not used yet.`;
}

// ------------------------------------------------------------------ blocks

function blockItem(result: CheckResult, sym: Sym): BlockItem | undefined {
  const it = itemOfSym(result, sym);
  return it?.kind === 'Block' ? it : undefined;
}

function signatureText(file: SourceFile | undefined, item: BlockItem | ModelItem): string {
  if (!file) return item.name.name;
  return file.text.slice(item.span.start, item.body.span.start).trim();
}

function blockDeclHover(result: CheckResult, sym: Sym): string | undefined {
  const item = blockItem(result, sym);
  if (!item) return undefined;
  const sig = signatureText(result.files.get(sym.file!), item);
  const uses = result.models.flatMap((m) =>
    m.groups.filter((g) => g.kind === 'block' && g.name === sym.name),
  );
  const parts = [codeBlock('dlm', sig)];
  if (item.doc) parts.push(escapeMarkdown(item.doc.text));
  parts.push(
    uses.length
      ? `Instantiated ${uses.length} ${uses.length === 1 ? 'time' : 'times'}.`
      : 'Not used by any model in this file.',
  );
  return parts.join('\n\n');
}

function blockUseHover(
  result: CheckResult,
  ix: FileIndex,
  occ: Occurrence,
  opts: DisplayOptions,
): string | undefined {
  const item = blockItem(result, occ.sym);
  const out: string[] = [];
  // Find the stage whose callee is this occurrence.
  const stageSpan = stageSpanOfCallee(ix.source, occ.span);
  const groups = stageSpan ? groupsAt(result, ix.file, stageSpan, 'block') : [];
  const first = groups[0];
  out.push(
    `**${md(first ? first.group.label : occ.sym.name)}**: block${occ.sym.file !== ix.file ? ` from ${md(occ.sym.file?.split('/').pop() ?? '')}` : ''}`,
  );
  if (item) out.push(codeBlock('dlm', signatureText(result.files.get(occ.sym.file!), item)));
  if (stageSpan) {
    const ss = stageShapeAt(result, ix.file, stageSpan);
    if (ss) out.push(`Output ${md(shapesText(ss.shapes, opts.shapeStyle))}`);
  }
  if (first) {
    const nodes = nodesInGroup(first.model, first.group.id);
    let t = 0;
    let f = 0;
    let macs = Dim.const(0);
    for (const n of nodes) {
      macs = macs.add(n.macs);
      if (n.sharedRepeat) continue;
      for (const p of n.params) {
        if (n.tied?.some((x) => x.param === p.name)) continue;
        const c = p.shape.reduce((a, b) => a * b, 1);
        if (p.trainable && !n.frozen) t += c;
        else f += c;
      }
    }
    const frozen = nodes.length > 0 && nodes.every((n) => n.frozen);
    out.push(
      `**This use**: ${nodes.length} layers, ${thousands(t + f)} parameters (${thousands(t)} trainable${f ? `, ${thousands(f)} non-trainable` : ''})${frozen ? ', frozen: the optimizer never updates it and its BatchNorm runs in eval mode' : ''}`,
    );
    out.push(computeLine(macs, opts));
    if (groups.length > 1)
      out.push(`Instantiated ${groups.length} times from this stage (numbers for the first).`);
  }
  if (item?.doc) out.push('---\n\n' + escapeMarkdown(item.doc.text));
  return out.join('\n\n');
}

function stageSpanOfCallee(file: SourceFile, callee: Span): Span | undefined {
  let found: Span | undefined;
  const visitStage = (s: import('../language/ast').Stage): void => {
    if (found) return;
    if (s.kind === 'Layer') {
      if (sameSpan(s.callee.span, callee)) found = s.span;
    } else if (s.kind === 'Repeat') visitStage(s.body);
    else if (s.kind === 'Group') s.stages.forEach(visitStage);
  };
  const visitPipe = (p: Pipeline): void => {
    if (p.source.kind === 'SourceTuple') p.source.items.forEach(visitPipe);
    p.stages.forEach(visitStage);
  };
  for (const st of allStmts(file)) {
    if (st.kind === 'Bind' || st.kind === 'BindTuple' || st.kind === 'ExprStmt')
      visitPipe(st.value);
    else if (st.kind === 'Return') st.values.forEach(visitPipe);
    else if (st.kind === 'LayerDecl' || st.kind === 'ParamDecl') visitStage(st.value);
  }
  return found;
}

/**
 * Every statement of a file's models and blocks, in order, with the branches of `if`s (memoized
 * per parsed file: a binding's hover looks its declaration up here, and a 5,000-line file took a
 * few milliseconds per walk).
 */
const stmtCache = new WeakMap<SourceFile, readonly Stmt[]>();
export function allStmts(file: SourceFile): readonly Stmt[] {
  let cached = stmtCache.get(file);
  if (!cached) stmtCache.set(file, (cached = walkStmts(file)));
  return cached;
}

function walkStmts(file: SourceFile): Stmt[] {
  const out: Stmt[] = [];
  const body = (b: Body): void => {
    for (const st of b.stmts) {
      out.push(st);
      if (st.kind === 'If') {
        body(st.then);
        for (let e = st.else; e; e = e.kind === 'If' ? e.else : undefined) {
          if (e.kind === 'If') {
            out.push(e);
            body(e.then);
          } else body(e);
        }
      }
    }
  };
  for (const it of file.items) if (it.kind === 'Model' || it.kind === 'Block') body(it.body);
  return out;
}

// ------------------------------------------------------------------ models

function modelHover(result: CheckResult, sym: Sym, opts: DisplayOptions): string | undefined {
  const model = result.models.find((m) => m.name === sym.name && m.file === sym.file);
  const item = itemOfSym(result, sym);
  const out: string[] = [];
  if (item && item.kind === 'Model')
    out.push(codeBlock('dlm', signatureText(result.files.get(sym.file!), item)));
  if (item && item.kind === 'Model' && item.doc) out.push(escapeMarkdown(item.doc.text));
  if (!model) return out.join('\n\n') || undefined;
  const train = result.trains.find((t) => t.model === model.name);
  const tot = model.totals;
  const lines: string[] = [];
  lines.push(`| | |\n|---|---|`);
  lines.push(`| Parameters | ${thousands(tot.trainable + tot.nonTrainable)} |`);
  lines.push(`| Trainable | ${thousands(tot.trainable)} |`);
  lines.push(`| Non-trainable | ${thousands(tot.nonTrainable)} |`);
  const c = computeText(tot.macs, opts);
  lines.push(
    `| ${opts.macsOrFlops === 'flops' ? 'FLOPs (2·MACs)' : 'MACs'} | ${md(c.symbolic)}${c.atB1 !== undefined && tot.macs.value === undefined ? `; ${thousands(c.atB1)} for B = 1` : ''} |`,
  );
  if (model.receptiveField) lines.push(`| Receptive field | ${model.receptiveField.join('×')} |`);
  lines.push(
    `| Inputs | ${model.inputs.map((i) => `${i.name}: ${md(shapeText(model.values[i.value]?.shape, opts.shapeStyle))}`).join(', ')} |`,
  );
  lines.push(
    `| Outputs | ${model.outputs.map((o) => `${o.name ? o.name + ': ' : ''}${md(shapeText(model.values[o.value]?.shape, opts.shapeStyle))}`).join(', ')} |`,
  );
  if (train) {
    const tr = trainingMemory(model, { train });
    lines.push(
      `| Training memory (batch ${tr.batch}, ${tr.optimizer.name}) | ${megabytes(tr.totalBytes)} MB |`,
    );
    lines.push(`| · parameters | ${megabytes(tr.paramBytes)} MB |`);
    lines.push(`| · gradients | ${megabytes(tr.gradBytes)} MB |`);
    lines.push(
      `| · optimizer state (${tr.optimizer.statePerParam} per parameter) | ${megabytes(tr.optimizerStateBytes)} MB |`,
    );
    lines.push(`| · activations kept for backward | ${megabytes(tr.activationBytes)} MB |`);
  }
  out.push(lines.join('\n'));
  if (!model.ok) out.push('⚠ The model has errors; the numbers cover only what could be checked.');
  return out.join('\n\n');
}

// ------------------------------------------------------------------ dims, bindings, params

function lineOf(result: CheckResult, file: string, offset: number): number {
  return lineIndex(result.files.get(file)?.text ?? '').position(offset).line + 1;
}

function where(result: CheckResult, ix: FileIndex, sym: Sym): string {
  if (!sym.file || !sym.declSpan) return '';
  const f = sym.file === ix.file ? 'line' : `${sym.file.split('/').pop()}:`;
  return sym.file === ix.file
    ? `${f} ${lineOf(result, sym.file, sym.declSpan.start)}`
    : `${f}${lineOf(result, sym.file, sym.declSpan.start)}`;
}

function dimHover(result: CheckResult, ix: FileIndex, sym: Sym, opts: DisplayOptions): string {
  const item = sym.item!;
  const out = [`**dim** ${md(sym.name)}`];
  // Where it is bound: the tensor whose shape declares it first.
  const owner = [...item.inputs, ...item.outputs].find((p) =>
    p.shape?.items.some((e) => sameSpan(e.span, sym.declSpan!)),
  );
  const isOutput = owner ? item.outputs.includes(owner) : false;
  const ownerName = owner?.name.name || 'the output';
  out.push(
    `Bound by ${isOutput ? 'output' : 'input'} ${md(ownerName)} of ${item.kind === 'Model' ? 'model' : 'block'} ${md(item.name.name)} (${where(result, ix, sym)}).`,
  );
  const axis = owner?.shape?.items.findIndex((e) => sameSpan(e.span, sym.declSpan!)) ?? -1;
  const values = new Map<string, number>();
  if (item.kind === 'Model') {
    const model = result.models.find((m) => m.name === item.name.name && m.file === sym.file);
    if (model && owner && axis >= 0) {
      const ios = isOutput ? model.outputs : model.inputs;
      const idx = (isOutput ? item.outputs : item.inputs).indexOf(owner);
      const shape = model.values[ios[idx]?.value ?? -1]?.shape;
      const d = shape?.[axis];
      if (d) values.set(d.toString(), 1);
    }
  } else if (owner && !isOutput && axis >= 0 && item.inputs.length >= 1) {
    // Each instance: the block input's actual shape.
    const inputIdx = item.inputs.indexOf(owner);
    for (const m of result.models)
      for (const g of m.groups) {
        if (g.kind !== 'block' || g.name !== item.name.name) continue;
        const ins = groupInputs(m, g.id);
        const d = m.values[ins[inputIdx] ?? -1]?.shape?.[axis];
        if (d) values.set(d.toString(), (values.get(d.toString()) ?? 0) + 1);
      }
  }
  if (values.size === 1) {
    const [v] = [...values.keys()];
    out.push(
      v === sym.name ? 'Symbolic: it stays unknown until the data fixes it.' : `Value: ${md(v!)}`,
    );
  } else if (values.size > 1)
    out.push(
      `Values per use: ${[...values].map(([v, c]) => `${md(v)}${c > 1 ? ` (×${c})` : ''}`).join(', ')}`,
    );
  void opts;
  return out.join('\n\n');
}

/** The values a group consumes from outside, in order of first use. */
function groupInputs(model: CheckedModel, gid: number): number[] {
  const nodes = nodesInGroup(model, gid);
  const produced = new Set(nodes.flatMap((n) => n.outputs));
  const out: number[] = [];
  for (const n of nodes)
    for (const v of n.inputs) if (!produced.has(v) && !out.includes(v)) out.push(v);
  return out;
}

/** The shapes a binding holds: from the checker's stage shapes, following names back. */
export function bindingShapes(
  result: CheckResult,
  ix: FileIndex,
  sym: Sym,
  depth = 0,
): Shape[] | undefined {
  if (depth > 50 || !sym.declSpan || !sym.file) return undefined;
  if (sym.kind === 'input') {
    const item = sym.item!;
    const idx = item.inputs.findIndex((p) => sameSpan(p.name.span, sym.declSpan!));
    if (item.kind === 'Model') {
      const model = result.models.find((m) => m.name === item.name.name && m.file === sym.file);
      const v = model?.inputs[idx]?.value;
      const s = v !== undefined ? model?.values[v]?.shape : undefined;
      return s ? [s] : undefined;
    }
    const shapes: Shape[] = [];
    for (const m of result.models)
      for (const g of m.groups)
        if (g.kind === 'block' && g.name === item.name.name) {
          const s = m.values[groupInputs(m, g.id)[idx] ?? -1]?.shape;
          if (s) shapes.push(s);
        }
    return shapes.length ? shapes : undefined;
  }
  if (sym.kind !== 'binding') return undefined;
  const f = result.files.get(sym.file);
  if (!f) return undefined;
  const learned = learnedTensorNodes(result, sym);
  if (learned.length) {
    const shapes = learned.flatMap(({ model, node }) => {
      const s = model.values[node.outputs[0]!]?.shape;
      return s ? [s] : [];
    });
    return shapes.length ? shapes : undefined;
  }
  const bind = allStmts(f).find(
    (s): s is Extract<Stmt, { kind: 'Bind' }> =>
      s.kind === 'Bind' && sameSpan(s.name.span, sym.declSpan!),
  );
  if (!bind) {
    // `(out, h) = …`: the k-th tensor of the pipeline.
    for (const s of allStmts(f)) {
      if (s.kind !== 'BindTuple') continue;
      const k = s.names.findIndex((n) => sameSpan(n.span, sym.declSpan!));
      if (k < 0) continue;
      const all = pipelineShapes(result, ix, s.value, depth);
      return all && all.length === s.names.length ? [all[k]!] : undefined;
    }
    return undefined;
  }
  return pipelineShapes(result, ix, bind.value, depth);
}

function pipelineShapes(
  result: CheckResult,
  ix: FileIndex,
  p: Pipeline,
  depth: number,
): Shape[] | undefined {
  const last = p.stages[p.stages.length - 1];
  if (last) {
    const ss = stageShapeAt(result, ix.file, last.span);
    return ss ? [...ss.shapes] : undefined;
  }
  if (p.source.kind === 'Name') {
    const occ = ix.occurrences.find((o) => sameSpan(o.span, p.source.span));
    return occ ? bindingShapes(result, ix, occ.sym, depth + 1) : undefined;
  }
  return undefined;
}

function bindingHover(result: CheckResult, ix: FileIndex, sym: Sym, opts: DisplayOptions): string {
  const shapes = bindingShapes(result, ix, sym);
  const learned = learnedTensorNodes(result, sym)[0]?.node;
  const what = sym.kind === 'input' ? 'input' : learned ? 'learned tensor' : 'tensor';
  const out = [
    `**${what}** ${md(sym.name)}${shapes?.length ? `: ${md(shapeText(shapes[0], opts.shapeStyle))}` : ''}`,
  ];
  if (learned) {
    const p = learned.params[0];
    if (p)
      out.push(
        `**Parameters** ${thousands(p.shape.reduce((a, b) => a * b, 1))} (${p.shape.join('·')}, trainable; init ${md(initText(p.init))})`,
      );
  }
  if (shapes && shapes.length > 1) {
    const distinct = [...new Set(shapes.map((s) => shapeText(s, opts.shapeStyle)))];
    if (distinct.length > 1) out.push(`Shapes per use: ${distinct.map(md).join(', ')}`);
  }
  const item = sym.item;
  if (sym.kind === 'input' && item) {
    const p = item.inputs.find((q) => sameSpan(q.name.span, sym.declSpan!));
    const f = result.files.get(sym.file!);
    if (p?.shape && f)
      out.push(`Declared ${md(f.text.slice(p.shape.span.start, p.shape.span.end))}`);
  }
  out.push(
    `Defined at ${where(result, ix, sym)}${item ? ` in ${item.kind === 'Model' ? 'model' : 'block'} ${md(item.name.name)}` : ''}.`,
  );
  return out.join('\n\n');
}

/** The Parameter nodes (one per instantiation) of a `param` binding's declaration. */
function learnedTensorNodes(
  result: CheckResult,
  sym: Sym,
): { model: CheckedModel; node: LayerNode }[] {
  if (sym.kind !== 'binding' || !sym.declSpan || !sym.file) return [];
  const f = result.files.get(sym.file);
  const decl = f
    ? allStmts(f).find((s) => s.kind === 'ParamDecl' && sameSpan(s.name.span, sym.declSpan!))
    : undefined;
  if (decl?.kind !== 'ParamDecl') return [];
  return nodesAt(result, sym.file, decl.value.callee.span);
}

function initText(init: LayerNode['params'][number]['init']): string {
  switch (init.kind) {
    case 'normal':
      return `N(0, ${init.std}²)`;
    case 'uniform':
      return `U(−${init.bound}, ${init.bound})`;
    default:
      return init.kind;
  }
}

function paramHover(result: CheckResult, sym: Sym): string {
  const item = sym.item as BlockItem;
  const p = item.params.find((q) => sameSpan(q.name.span, sym.declSpan!));
  const f = result.files.get(sym.file!);
  const text = p && f ? f.text.slice(p.span.start, p.span.end) : sym.name;
  const out = [`**parameter** of block ${md(item.name.name)}: ${md(text)}`];
  // Values at each use, from the group labels `BasicBlock(c=64, stride=2)`.
  const vals = new Map<string, number>();
  for (const m of result.models)
    for (const g of m.groups)
      if (g.kind === 'block' && g.name === item.name.name) {
        const mm = new RegExp(`[(,]\\s*${sym.name}=([^,)]+)`).exec(g.label);
        const v = mm
          ? mm[1]!.trim()
          : p?.default && f
            ? f.text.slice(p.default.span.start, p.default.span.end)
            : '?';
        vals.set(v, (vals.get(v) ?? 0) + 1);
      }
  if (vals.size)
    out.push(
      `Values at uses: ${[...vals].map(([v, c]) => `${md(v)}${c > 1 ? ` (×${c})` : ''}`).join(', ')}`,
    );
  return out.join('\n\n');
}

// ------------------------------------------------------------------ data, imports, train

function literal(e: Expr): AttrValue | undefined {
  switch (e.kind) {
    case 'Number':
      return e.value;
    case 'String':
      return e.value;
    case 'Bool':
      return e.value;
    case 'Unary':
      if (e.op === '-') {
        const v = literal(e.operand);
        return typeof v === 'number' ? -v : undefined;
      }
      return undefined;
    case 'Tuple': {
      const vs = e.items.map(literal);
      return vs.every((v) => v !== undefined) ? (vs as AttrValue[]) : undefined;
    }
    default:
      return undefined;
  }
}

function attrsTable(
  spec: CallableSpec,
  given: Readonly<Record<string, AttrValue | undefined>>,
): string {
  if (!spec.attrs.length) return '';
  const rows = spec.attrs.map((a) => {
    const has = given[a.name] !== undefined;
    const g = given[a.name]!;
    // the user's values: numbers and booleans as they are, strings and lists as code
    const v = has
      ? typeof g === 'number' || typeof g === 'boolean'
        ? formatValue(g)
        : mdCell(formatValue(g))
      : a.default !== undefined
        ? `${formatValue(a.default)} (default)`
        : a.required
          ? '**required**'
          : (a.defaultDoc ?? '—');
    return `| ${md(a.name)} | ${v} | ${a.doc} |`;
  });
  return `| argument | value | |\n|---|---|---|\n${rows.join('\n')}`;
}

function argsOf(spec: CallableSpec, value: Expr): Record<string, AttrValue | undefined> {
  const out: Record<string, AttrValue | undefined> = {};
  if (value.kind !== 'Call') return out;
  let pos = 0;
  for (const a of value.args) {
    const name = a.name ? a.name.name : spec.positional[pos++];
    if (name) out[name] = literal(a.value);
  }
  return out;
}

function dataHover(result: CheckResult, sym: Sym): string | undefined {
  const item = itemOfSym(result, sym) as DataItem | undefined;
  if (!item) return undefined;
  const f = result.files.get(sym.file!);
  const out = [
    `**data** ${md(sym.name)}${f ? ` = ${md(f.text.slice(item.value.span.start, item.value.span.end))}` : ''}`,
  ];
  if (item.doc) out.push(escapeMarkdown(item.doc.text));
  const callee =
    item.value.kind === 'Call'
      ? item.value.callee.name
      : item.value.kind === 'Name'
        ? item.value.name
        : '';
  const spec = DATASETS.find((d) => d.name === callee);
  if (spec) {
    const train = result.trains.find((t) => t.data?.declName === sym.name);
    out.push(`${spec.summary}`);
    out.push(attrsTable(spec, train?.data?.args ?? argsOf(spec, item.value)));
  }
  return out.join('\n\n');
}

function importHover(result: CheckResult, sym: Sym): string {
  const target = sym.owner!;
  const f = result.files.get(target);
  if (!f) return `**import** ${md(sym.name)}: not found`;
  const names = f.items
    .filter(
      (i): i is BlockItem | ModelItem | DataItem =>
        i.kind === 'Block' || i.kind === 'Model' || i.kind === 'Data',
    )
    .map((i) => `${i.kind.toLowerCase()} ${md(i.name.name)}`);
  return `**import** ${md(target)}\n\n${names.length ? 'Provides ' + names.join(', ') : 'Defines nothing importable.'}`;
}

function trainAt(
  result: CheckResult,
  ix: FileIndex,
  offset: number,
): { item: TrainItem; train?: CheckedTrain } | undefined {
  const item = ix.source.items.find(
    (i): i is TrainItem => i.kind === 'Train' && i.span.start <= offset && offset <= i.span.end,
  );
  if (!item) return undefined;
  const train =
    result.trains.find((t) => t.file === ix.file && sameSpan(t.span, item.span)) ??
    result.trains.find((t) => t.file === ix.file && t.model === item.model.name);
  return { item, train };
}

const SETTING_VALUE: Record<string, (t: CheckedTrain) => string | undefined> = {
  epochs: (t) => String(t.epochs),
  batch: (t) => String(t.batch),
  validation: (t) => String(t.validation),
  seed: (t) => String(t.seed),
  clip: (t) => (t.clip === undefined ? 'off' : String(t.clip)),
  l1: (t) => String(t.l1),
  l2: (t) => String(t.l2),
  shuffle: (t) => String(t.shuffle),
  drop_last: (t) => String(t.dropLast),
  target: (t) => t.target,
  metrics: (t) => `[${t.metrics.join(', ')}]`,
  early_stopping: (t) =>
    t.earlyStopping
      ? `patience ${t.earlyStopping.patience}, min_delta ${t.earlyStopping.minDelta}`
      : 'off',
  optimizer: (t) =>
    `${t.optimizer.name}(${Object.entries(t.optimizer.args)
      .map(([k, v]) => `${k}=${v === undefined ? '?' : formatValue(v)}`)
      .join(', ')})`,
  loss: (t) => t.loss?.name,
  schedule: (t) => t.schedule?.name,
  data: (t) => t.data?.declName ?? t.data?.name,
};

function settingHover(result: CheckResult, ix: FileIndex, occ: Occurrence): string | undefined {
  const spec = SETTINGS.find((s) => s.name === occ.sym.name);
  if (!spec) return undefined;
  const out = [`**${spec.name}** (${spec.type})`, spec.doc];
  const t = trainAt(result, ix, occ.span.start)?.train;
  const v = t ? SETTING_VALUE[spec.name]?.(t) : undefined;
  if (v !== undefined) out.push(`Resolved: ${md(v)}`);
  return out.join('\n\n');
}

function specFor(kind: string, name: string): CallableSpec | undefined {
  const list: readonly CallableSpec[] =
    kind === 'dataset'
      ? [...DATASETS, EARLY_STOPPING]
      : kind === 'loss'
        ? LOSSES
        : kind === 'optimizer'
          ? OPTIMIZERS
          : kind === 'schedule'
            ? SCHEDULES
            : [];
  return list.find((s) => s.name === name);
}

function callableHover(result: CheckResult, ix: FileIndex, occ: Occurrence): string | undefined {
  const spec = specFor(occ.sym.kind, occ.sym.name);
  if (!spec) return undefined;
  const out = [`**${spec.name}** (${occ.sym.kind}): ${spec.summary}`, spec.doc];
  const t = trainAt(result, ix, occ.span.start)?.train;
  let args: Readonly<Record<string, AttrValue | undefined>> | undefined;
  if (t) {
    const rc =
      occ.sym.kind === 'loss'
        ? t.loss
        : occ.sym.kind === 'optimizer'
          ? t.optimizer
          : occ.sym.kind === 'schedule'
            ? t.schedule
            : t.data;
    if (rc && rc.name === spec.name) args = rc.args;
  }
  if (!args) {
    const call = findCall(ix.source, occ.span);
    args = call ? argsOf(spec, call) : {};
  }
  const table = attrsTable(spec, args);
  if (table) out.push(table);
  return out.join('\n\n');
}

function findCall(file: SourceFile, callee: Span): Expr | undefined {
  let found: Expr | undefined;
  const visit = (e: Expr): void => {
    if (found) return;
    if (e.kind === 'Call') {
      if (sameSpan(e.callee.span, callee)) found = e;
      else e.args.forEach((a) => visit(a.value));
    } else if (e.kind === 'List' || e.kind === 'Tuple') e.items.forEach(visit);
  };
  for (const it of file.items) {
    if (it.kind === 'Data') visit(it.value);
    if (it.kind === 'Train')
      for (const st of it.body.stmts) if (st.kind === 'Setting') visit(st.value);
  }
  return found;
}

// ------------------------------------------------------------------ attributes

export function attrSpecFor(
  result: CheckResult,
  sym: Sym,
): AttrSpec | { name: string; doc: string; typeText: string; dflt?: string } | undefined {
  const owner = sym.owner ?? '';
  if (sym.id.startsWith('bparam:')) {
    const p = blockParamSym(result, sym);
    if (!p) return undefined;
    const item = p.item as BlockItem;
    const bp = item.params.find((q) => q.name.name === sym.name)!;
    const f = result.files.get(p.file!);
    return {
      name: sym.name,
      doc: `Parameter of block ${md(item.name.name)}.`,
      typeText: bp.type?.name ?? 'any',
      dflt: bp.default && f ? f.text.slice(bp.default.span.start, bp.default.span.end) : undefined,
    };
  }
  const def = getLayer(owner);
  const spec =
    def ??
    [...DATASETS, EARLY_STOPPING, ...LOSSES, ...OPTIMIZERS, ...SCHEDULES].find(
      (s) => s.name === owner,
    );
  return spec?.attrs.find((a) => a.name === sym.name);
}

function attrHover(result: CheckResult, ix: FileIndex, occ: Occurrence): string | undefined {
  const a = attrSpecFor(result, occ.sym);
  const owner = occ.sym.owner ?? '';
  if (!a) return `Unknown attribute ${md(occ.sym.name)} of ${md(owner)}.`;
  const out: string[] = [];
  if ('type' in a) {
    out.push(`**${owner}.${a.name}**: ${describeType(a.type)}`);
    out.push(
      a.default !== undefined
        ? `Default: ${md(formatValue(a.default))}`
        : a.required
          ? 'Required.'
          : a.defaultDoc
            ? `Default: ${a.defaultDoc}`
            : 'Default: inferred from the input when omitted.',
    );
    out.push(a.doc);
    // The resolved value on this call, when the checker has a node for it.
    const node = nodeForArg(result, ix, occ.span);
    if (node) {
      const v = node.attrs[a.name];
      if (v !== undefined) out.push(`Resolved here: ${md(formatValue(v))}`);
    }
  } else {
    out.push(`**${owner}.${a.name}**: ${a.typeText}`);
    if (a.dflt) out.push(`Default: ${md(a.dflt)}`);
    out.push(a.doc);
  }
  return out.join('\n\n');
}

function nodeForArg(result: CheckResult, ix: FileIndex, argName: Span): LayerNode | undefined {
  for (const m of result.models)
    for (const n of m.nodes)
      if (
        n.file === ix.file &&
        n.span.start <= argName.start &&
        argName.end <= n.span.end &&
        n.nameSpan.start < argName.start
      )
        return n;
  return undefined;
}

export { literal as literalValue };
