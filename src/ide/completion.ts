/**
 * Completion: what may be written at the cursor, from the tokens before it (so it works while a
 * line is half typed) and the symbols the index knows.
 */
import type { Span } from '../core';
import { LAYERS } from '../layers/catalog';
import type { ModelItem, BlockItem } from '../language/ast';
import type { CheckResult } from '../language/checked';
import { KEYWORDS } from '../language/lexer';
import {
  DATASETS,
  EARLY_STOPPING,
  LOSSES,
  METRICS,
  OPTIMIZERS,
  SCHEDULES,
  SETTINGS,
} from '../language/training';
import { shapesText } from './common';
import { cursorContext, inComment } from './context';
import { indexFile, type FileIndex } from './index';
import { callableView, signatureLabel, type CallableView } from './signature';
import { stageFit, stageInputBefore, type StageInput } from './stageFit';

export type CompletionKind =
  | 'layer'
  | 'block'
  | 'attribute'
  | 'binding'
  | 'dim'
  | 'dataset'
  | 'loss'
  | 'optimizer'
  | 'schedule'
  | 'setting'
  | 'metric'
  | 'keyword'
  | 'model'
  | 'value';

export interface CompletionItem {
  readonly label: string;
  readonly kind: CompletionKind;
  readonly detail: string;
  readonly documentation: string;
  readonly insertText?: string;
  readonly isSnippet?: boolean;
  readonly sortText?: string;
  readonly replaceSpan?: Span;
}

/**
 * Characters that open the completion list by themselves: after `|>`, after `name=`, and at the
 * opening quote of a string value. Not space, `.`, `(` or `,`: those occur in prose (comments)
 * and would cover the signature help that `(` and `,` open.
 */
export const COMPLETION_TRIGGERS = ['>', '=', '"'] as const;

export interface CompletionList {
  readonly items: CompletionItem[];
}

/** `Conv2d(${1:out}, ${2:kernel})` for the required positional attributes. */
function callSnippet(v: CallableView): { text: string; snippet: boolean } {
  const req = v.positional.filter((p) => {
    const a = v.attrs.find((x) => x.name === p);
    return a && (a.required || a.default === undefined) && !(v.kind === 'layer' && p === 'in');
  });
  if (!req.length) return { text: v.name, snippet: false };
  return { text: `${v.name}(${req.map((p, i) => `\${${i + 1}:${p}}`).join(', ')})`, snippet: true };
}

export function complete(result: CheckResult, file: string, offset: number): CompletionList {
  const ix = indexFile(result, file);
  if (!ix) return { items: [] };
  // Prose is not code: nothing is offered inside comments.
  if (inComment(ix.source, offset)) return { items: [] };
  const ctx = cursorContext(ix.source, offset);
  const replaceSpan: Span = { start: ctx.wordStart, end: offset };
  const items: CompletionItem[] = [];
  const push = (it: CompletionItem): void => {
    if (
      ctx.word &&
      !it.label.toLowerCase().startsWith(ctx.word.toLowerCase()) &&
      !it.label.toLowerCase().includes(ctx.word.toLowerCase())
    )
      return;
    items.push({ ...it, replaceSpan: it.replaceSpan ?? replaceSpan });
  };
  const prev = ctx.prev;
  const item = ctx.item;
  const inTrain = item?.kind === 'Train' && ctx.braceDepth > 0;
  const inTensorBody = (item?.kind === 'Model' || item?.kind === 'Block') && ctx.braceDepth > 0;

  // Strings: enum values of the attribute being written (`padding="sa`).
  if (ctx.inString) {
    if (ctx.call?.keyword) {
      const v = callableView(
        result,
        file,
        ctx.call.callee,
        inTrain || item?.kind === 'Data' ? 'train' : undefined,
      );
      const a = v?.attrs.find((x) => x.name === ctx.call!.keyword);
      const values = enumValues(a?.type);
      const start = ctx.inString.start + 1;
      for (const val of values)
        push({
          label: val,
          kind: 'value',
          detail: `${v!.name}.${a!.name}`,
          documentation: a!.doc,
          replaceSpan: { start, end: offset },
        });
    }
    return { items: items.filter((i) => i.label.startsWith(ctx.word)) };
  }

  // Inside a call's parentheses.
  if (ctx.call && (prev?.kind === '(' || prev?.kind === ',' || prev?.kind === '=')) {
    const trainish = inTrain || item?.kind === 'Data';
    const v = callableView(result, file, ctx.call.callee, trainish ? 'train' : undefined);
    if (v && prev.kind !== '=') {
      v.attrs.forEach((a, i) => {
        if (ctx.call!.given.includes(a.name)) return;
        if (
          v.positional.indexOf(a.name) >= 0 &&
          v.positional.indexOf(a.name) < ctx.call!.positionalBefore
        )
          return;
        push({
          label: `${a.name}=`,
          kind: 'attribute',
          detail: attrDetail(a),
          documentation: a.doc,
          insertText: `${a.name}=`,
          sortText: String(i).padStart(3, '0'),
        });
      });
    }
    if (prev.kind === '=' && v && ctx.call.keyword) {
      const a = v.attrs.find((x) => x.name === ctx.call!.keyword);
      for (const val of enumValues(a?.type))
        push({
          label: `"${val}"`,
          kind: 'value',
          detail: a!.type,
          documentation: a!.doc,
          insertText: `"${val}"`,
        });
      if (a?.type.includes('true or false'))
        for (const b of ['true', 'false'])
          push({ label: b, kind: 'value', detail: 'bool', documentation: a.doc });
    }
    // Names usable in arguments: block parameters and dims.
    if (inTensorBody)
      for (const it of localNames(ix, item as ModelItem | BlockItem, offset, ['param', 'dim']))
        push(it);
    return { items };
  }

  // Shapes: known dims.
  if (ctx.open?.kind === '[' && !inTrain) {
    const seen = new Set<string>();
    const own = item && (item.kind === 'Model' || item.kind === 'Block') ? item : undefined;
    for (const o of ix.occurrences)
      if (o.sym.kind === 'dim' && o.decl && (!own || o.sym.item === own) && !seen.has(o.sym.name)) {
        seen.add(o.sym.name);
        push({
          label: o.sym.name,
          kind: 'dim',
          detail: 'dim',
          documentation: 'A dimension symbol of this signature.',
        });
      }
    for (const d of ['B', 'C', 'H', 'W', 'T', 'L', 'D'])
      if (!seen.has(d))
        push({
          label: d,
          kind: 'dim',
          detail: 'new dim',
          documentation: 'Binds on first use.',
          sortText: 'z' + d,
        });
    return { items };
  }

  // Train sections.
  if (inTrain || (item?.kind === 'Train' && prev?.kind === '=')) {
    if (prev?.kind === '=' && ctx.prev2?.kind !== undefined) {
      const key = ctx.prev2.text ?? ctx.prev2.kind;
      trainValues(ix, key, push);
      return { items };
    }
    if (ctx.open?.kind === '[') {
      for (const m of METRICS)
        push({ label: m.name, kind: 'metric', detail: 'metric', documentation: m.doc });
      return { items };
    }
    const given = new Set(
      item?.kind === 'Train'
        ? item.body.stmts.flatMap((s) =>
            s.kind === 'Setting' && s.key.span.start !== ctx.wordStart ? [s.key.name] : [],
          )
        : [],
    );
    SETTINGS.forEach((s, i) => {
      if (given.has(s.name)) return;
      push({
        label: s.name,
        kind: 'setting',
        detail: s.type,
        documentation: s.doc,
        insertText: `${s.name} = `,
        sortText: String(i).padStart(3, '0'),
      });
    });
    return { items };
  }

  // `data name = ...`
  if (
    item?.kind === 'Data' ||
    (prev?.kind === '=' &&
      ctx.prev2?.kind === 'ident' &&
      ctx.tokens.some(
        (t) =>
          t.kind === 'data' &&
          t.end <= (ctx.prev2?.start ?? 0) &&
          t.start >= (ctx.prev2?.start ?? 0) - 10,
      ))
  ) {
    if (prev?.kind === '=') {
      trainValues(ix, 'data', push, true);
      return { items };
    }
  }
  // `train Name`
  if (prev?.kind === 'train') {
    for (const [name, s] of ix.scope)
      if (s.kind === 'model')
        push({ label: name, kind: 'model', detail: 'model', documentation: '' });
    return { items };
  }

  if (inTensorBody) {
    const body = item as ModelItem | BlockItem;
    // After `|>` (or `repeat N`, or `layer x =`): layers, blocks, shared layers.
    if (
      prev?.kind === '|>' ||
      (prev?.kind === 'number' && ctx.prev2?.kind === 'repeat') ||
      (prev?.kind === 'ident' && ctx.prev2?.kind === 'repeat') ||
      (prev?.kind === '=' &&
        ctx.prev2?.kind === 'ident' &&
        ctx.tokens.find(
          (t) =>
            t.end === ctx.prev2!.start - 1 ||
            (t.end <= ctx.prev2!.start && t.end >= ctx.prev2!.start - 1),
        )?.kind === 'layer') ||
      (prev?.kind === '(' && ctx.prev2?.kind === '|>')
    ) {
      // The tensor flowing into this stage, to rank layers by what they accept.
      const pipe = prev?.kind === '|>' ? prev : prev?.kind === '(' ? ctx.prev2 : undefined;
      const before = pipe ? ctx.tokens[ctx.tokens.indexOf(pipe) - 1] : undefined;
      const input = before ? stageInputBefore(result, file, before, body.span) : undefined;
      stageItems(result, ix, body, push, prev?.kind !== '=', input);
      if (prev?.kind === '|>') push(BODY_KEYWORDS.frozen);
      return { items };
    }
    // Statement start, tuple items, after `=`: bindings and inputs in scope.
    if (
      !prev ||
      prev.kind === '{' ||
      prev.kind === '}' ||
      prev.kind === '=' ||
      prev.kind === '(' ||
      prev.kind === ',' ||
      prev.kind === 'return' ||
      isStmtStart(ctx, ix.source.text)
    ) {
      for (const it of localNames(ix, body, offset, ['binding', 'input'])) push(it);
      if (prev?.kind !== '=' && prev?.kind !== '(' && prev?.kind !== ',')
        for (const k of ['layer', 'param', 'frozen', 'weights', 'if', 'return'] as const)
          push(BODY_KEYWORDS[k]);
      if (prev?.kind === 'if' || prev?.kind === 'and' || prev?.kind === 'or')
        for (const it of localNames(ix, body, offset, ['param', 'dim'])) push(it);
      return { items };
    }
    if (
      prev?.kind === 'if' ||
      prev?.kind === 'and' ||
      prev?.kind === 'or' ||
      prev?.kind === 'not'
    ) {
      for (const it of localNames(ix, body, offset, ['param', 'dim'])) push(it);
      return { items };
    }
    return { items };
  }

  // Top level.
  if (ctx.braceDepth === 0 && (isStmtStart(ctx, ix.source.text) || prev?.kind === '}')) {
    const snippets: [string, string, string][] = [
      [
        'model',
        'model ${1:Name}(${2:x}: [${3:B}, ${4:2}]) -> [${3:B}, ${5:1}] {\n  ${2:x} |> ${0}\n}',
        'A model: inputs, outputs and a body.',
      ],
      [
        'block',
        'block ${1:Name}(${2:c}: int)(${3:x}) {\n  ${3:x} |> ${0}\n}',
        'A reusable block with parameters.',
      ],
      ['data', 'data ${1:name} = ${2:Spiral}(${0})', 'A data declaration.'],
      [
        'train',
        'train ${1:Model} {\n  data = ${2:data}\n  loss = ${3:CrossEntropy}\n  optimizer = ${4:Adam}(lr=${5:1e-3})\n  epochs = ${6:10}\n}',
        'A train section.',
      ],
      ['import', 'import "${1:file.dlm}"', 'Import blocks, models and data from another file.'],
      [
        'frozen',
        'frozen model ${1:Base}(${2:x}: [${3:B}, ${4:2}]) -> [${3:B}, ${5:1}] {\n  ${2:x} |> ${0}\n}',
        'A frozen model: used inside another, none of its weights are trained (fine-tuning).',
      ],
      [
        'mlp',
        '/// ${1:MLP} for ${2:flat inputs}.\nmodel ${1:MLP}(x: [B, ${3:784}]) -> [B, ${4:10}] {\n  x\n  |> Dense(${5:128}) |> ReLU\n  |> Dense(${6:64}) |> ReLU\n  |> Dense(${4:10})\n}\n$0',
        'A multi-layer perceptron: Dense → ReLU → Dense.',
      ],
      [
        'cnn',
        '/// ${1:SmallCNN}: two conv blocks and a classifier head.\nmodel ${1:SmallCNN}(x: [B, ${2:1}, ${3:28}, ${3:28}]) -> [B, ${4:10}] {\n  x\n  |> Conv2d(${5:32}, 3, padding=1) |> ReLU |> MaxPool2d(2)\n  |> Conv2d(${6:64}, 3, padding=1) |> ReLU |> MaxPool2d(2)\n  |> Flatten\n  |> Dense(${7:128}) |> ReLU\n  |> Dense(${4:10})\n}\n$0',
        'A small convolutional classifier.',
      ],
      [
        'resblock',
        '/// ${1:ResBlock}: two 3×3 convolutions and a shortcut.\nblock ${1:ResBlock}(c: int, stride: int = 1)(x: [B, C, H, W]) {\n  h = x\n    |> Conv2d(c, 3, stride=stride, padding=1, bias=false) |> BatchNorm2d |> ReLU\n    |> Conv2d(c, 3, padding=1, bias=false) |> BatchNorm2d\n  skip = x\n  if stride != 1 or C != c {\n    skip = x |> Conv2d(c, 1, stride=stride, bias=false) |> BatchNorm2d\n  }\n  (h, skip) |> Add |> ReLU\n}\n$0',
        'A ResNet basic block with a projection shortcut when the shape changes.',
      ],
      [
        'lstm',
        '/// ${1:TextClassifier}: embedding, LSTM over the sequence, last step → logits.\nmodel ${1:TextClassifier}(tokens: [B, T]) -> [B, ${2:5}] {\n  tokens\n  |> Embedding(${3:10000}, ${4:128})\n  |> LSTM(${5:256}, return_sequences=false)\n  |> Dense(${2:5})\n}\n$0',
        'Token ids → Embedding → LSTM → Dense.',
      ],
    ];
    for (const [label, snippet, doc] of snippets)
      push({
        label,
        kind: 'keyword',
        detail: 'snippet',
        documentation: doc,
        insertText: snippet,
        isSnippet: true,
      });
  }
  return { items };
}

/** The statement keywords of a model or block body, with what each one does. */
const BODY_KEYWORDS = Object.fromEntries(
  (
    [
      [
        'layer',
        'layer name = Layer(…)',
        'A shared layer: one set of weights, used by name in any stage.',
      ],
      [
        'param',
        'param name = Parameter([shape])',
        'A learned tensor (a class token, position embeddings), used as a value.',
      ],
      [
        'frozen',
        'frozen stage',
        'Not trained: before a stage, `layer` or `model`. Counted as non-trainable; runs in eval mode.',
      ],
      [
        'weights',
        'weights from "file" { "from." -> "to." }',
        'Initialize weights from a safetensors file, a run checkpoint or an ONNX file.',
      ],
      [
        'if',
        'if condition { … }',
        'Statements that apply only when a block parameter condition holds.',
      ],
      ['return', 'return a, b', 'The outputs of a model or block with several.'],
    ] as const
  ).map(([label, detail, documentation]) => [
    label,
    {
      label,
      kind: 'keyword',
      detail,
      documentation,
      sortText: 'z' + label,
      ...(label === 'weights'
        ? { insertText: 'weights from "${1:pretrained.safetensors}"', isSnippet: true }
        : {}),
    } satisfies CompletionItem,
  ]),
) as Record<'layer' | 'param' | 'frozen' | 'weights' | 'if' | 'return', CompletionItem>;

/** `an int or a tuple of ints, each ≥ 1 · default 1`, `an int · required`. */
export function attrDetail(a: { type: string; default?: unknown; required?: boolean }): string {
  if (a.default !== undefined) return `${a.type} · default ${String(a.default)}`;
  return a.required ? `${a.type} · required` : a.type;
}

function isStmtStart(ctx: ReturnType<typeof cursorContext>, text: string): boolean {
  // The word is the first token of its line.
  return !ctx.prev || /[\n\r]/.test(text.slice(ctx.prev.end, ctx.wordStart));
}

function enumValues(type: string | undefined): string[] {
  if (!type) return [];
  if (type.startsWith('an int, a tuple, "same"')) return ['same', 'valid', 'causal'];
  const m = /^one of (.*)$/.exec(type);
  if (!m) return [];
  return [...m[1]!.matchAll(/"([^"]*)"/g)].map((x) => x[1]!);
}

function stageItems(
  result: CheckResult,
  ix: FileIndex,
  body: ModelItem | BlockItem,
  push: (i: CompletionItem) => void,
  withArgs: boolean,
  input: StageInput | undefined,
): void {
  const inputText = input && shapesText(input.shapes, 'brackets');
  for (const def of LAYERS.values()) {
    const v = callableView(result, ix.file, def.name)!;
    const snip = callSnippet(v);
    const fit = input && stageFit(def, input);
    // Layers that accept the input come first and show what they produce; the rest follow.
    const detail = !fit
      ? `${def.category} · ${signatureLabel(v).label}`
      : fit.fits
        ? `→ ${fit.output} · ${signatureLabel(v).label}`
        : `does not take ${inputText} · ${signatureLabel(v).label}`;
    const shapeDoc = !fit
      ? ''
      : fit.fits
        ? `${inputText} → ${fit.output}${fit.output!.includes('?') ? ' (? depends on the arguments)' : ''}\n\n`
        : `Does not take the input ${inputText}.\n\n`;
    push({
      label: def.name,
      kind: 'layer',
      detail,
      documentation: `${shapeDoc}${def.summary}\n\n${def.doc}`,
      insertText: withArgs ? snip.text : def.name,
      ...(withArgs && snip.snippet ? { isSnippet: true } : {}),
      sortText: (!fit || fit.fits ? '1' : '2') + def.name,
    });
  }
  for (const [name, s] of ix.scope) {
    if (
      s.kind !== 'block' ||
      s.item === body ||
      (s.declSpan && body.kind === 'Block' && body.name.name === name)
    )
      continue;
    const v = callableView(result, ix.file, name);
    const snip = v ? callSnippet(v) : { text: name, snippet: false };
    push({
      label: name,
      kind: 'block',
      detail: v ? `block · ${signatureLabel(v).label}` : 'block',
      documentation: v?.doc ?? '',
      insertText: withArgs ? snip.text : name,
      ...(withArgs && snip.snippet ? { isSnippet: true } : {}),
      sortText: '0' + name,
    });
  }
  const seen = new Set<string>();
  for (const o of ix.occurrences)
    if (o.sym.kind === 'shared' && o.decl && o.sym.item === body && !seen.has(o.sym.name)) {
      seen.add(o.sym.name);
      push({
        label: o.sym.name,
        kind: 'layer',
        detail: 'shared layer instance',
        documentation: 'Tied weights: every use shares one set of parameters.',
        sortText: '0' + o.sym.name,
      });
    }
}

function localNames(
  ix: FileIndex,
  body: ModelItem | BlockItem,
  offset: number,
  kinds: readonly string[],
): CompletionItem[] {
  const seen = new Set<string>();
  const out: CompletionItem[] = [];
  for (const o of ix.occurrences) {
    if (!o.decl || o.sym.item !== body || !kinds.includes(o.sym.kind)) continue;
    if (o.sym.kind === 'binding' && o.span.start >= offset) continue;
    if (seen.has(o.sym.name)) continue;
    seen.add(o.sym.name);
    const kind: CompletionKind =
      o.sym.kind === 'dim' ? 'dim' : o.sym.kind === 'param' ? 'value' : 'binding';
    out.push({ label: o.sym.name, kind, detail: o.sym.kind, documentation: '' });
  }
  return out;
}

function trainValues(
  ix: FileIndex,
  key: string,
  push: (i: CompletionItem) => void,
  dataOnly = false,
): void {
  const specs = (
    list: readonly { name: string; summary: string; doc: string }[],
    kind: CompletionKind,
  ): void => {
    for (const s of list) push({ label: s.name, kind, detail: s.summary, documentation: s.doc });
  };
  switch (key) {
    case 'data':
      for (const [name, s] of ix.scope)
        if (s.kind === 'data' && !dataOnly)
          push({
            label: name,
            kind: 'dataset',
            detail: 'data declaration',
            documentation: '',
            sortText: '0' + name,
          });
      specs(DATASETS, 'dataset');
      break;
    case 'loss':
      specs(LOSSES, 'loss');
      break;
    case 'optimizer':
      specs(OPTIMIZERS, 'optimizer');
      break;
    case 'schedule':
      specs(SCHEDULES, 'schedule');
      break;
    case 'early_stopping':
      specs([EARLY_STOPPING], 'value');
      break;
    case 'target':
      for (const v of ['labels', 'input'])
        push({ label: v, kind: 'value', detail: 'target', documentation: '' });
      break;
    case 'shuffle':
    case 'drop_last':
      for (const v of ['true', 'false'])
        push({ label: v, kind: 'value', detail: 'bool', documentation: '' });
      break;
    case 'metrics':
      push({
        label: '[accuracy]',
        kind: 'metric',
        detail: 'metrics',
        documentation: METRICS.map((m) => `${m.name}: ${m.doc}`).join('\n\n'),
      });
      break;
    default:
      break;
  }
}

export { KEYWORDS };
