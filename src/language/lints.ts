/** Learner lints (docs/conventions.md §8) over a checked model graph. */
import { formatNumber, type Fix, type Span } from '../core';
import type { Code } from '../core/codes';
import type { CheckedModel, CheckedTrain, LayerNode } from './checked';

export type LintReporter = (
  code: Code,
  file: string,
  span: Span,
  message: string,
  fixes?: Fix[],
) => void;

/** Layers that are linear maps (no nonlinearity) and pass one tensor through. */
const LINEAR_PASS = new Set(['Dropout', 'Flatten', 'Identity', 'Reshape']);
const SATURATING = new Set(['Sigmoid', 'Tanh']);

function consumers(model: CheckedModel): Map<number, LayerNode[]> {
  const m = new Map<number, LayerNode[]>();
  for (const n of model.nodes)
    for (const v of n.inputs) {
      const list = m.get(v) ?? [];
      list.push(n);
      m.set(v, list);
    }
  return m;
}

function producer(model: CheckedModel, v: number): LayerNode | undefined {
  const p = model.values[v]?.producer;
  return p === undefined ? undefined : model.nodes[p];
}

export function lintModel(
  model: CheckedModel,
  train: CheckedTrain | undefined,
  report: LintReporter,
  textOf: (file: string) => string,
): void {
  // Who reads each value: needed only after a Dense or a biased layer, so built on first use.
  let consMap: Map<number, LayerNode[]> | undefined;
  const cons = { get: (v: number) => (consMap ??= consumers(model)).get(v) };

  for (const n of model.nodes) {
    const name = n.def.name;
    // DLM300: Dense → (linear pass-through)* → Dense collapses to one Dense.
    if (name === 'Dense' && n.inputs.length === 1) {
      let p = producer(model, n.inputs[0]!);
      while (p && LINEAR_PASS.has(p.def.name) && p.def.name !== 'Flatten')
        p = producer(model, p.inputs[0]!);
      if (p && p.def.name === 'Dense' && (cons.get(p.outputs[0]!)?.length ?? 0) === 1) {
        const inF = p.params.find((x) => x.name === 'weight')?.shape[1];
        const outF = n.params.find((x) => x.name === 'weight')?.shape[0];
        const size =
          inF !== undefined && outF !== undefined
            ? ` Dense(in=${inF}, out=${outF}) with ${formatNumber(inF * outF + outF)} parameters`
            : ' one Dense layer';
        report(
          'DLM300',
          n.file,
          n.nameSpan,
          `${p.label} followed by ${n.label} with no nonlinearity in between is equivalent to${size}; add an activation such as ReLU between them`,
          [
            {
              title: 'Insert ReLU before this layer',
              edits: [{ span: { start: n.span.start, end: n.span.start }, newText: 'ReLU |> ' }],
              preferred: true,
            },
          ],
        );
      }
    }
    // DLM303: Dropout directly before BatchNorm.
    if (name.startsWith('BatchNorm')) {
      const p = producer(model, n.inputs[0]!);
      if (p?.def.name === 'Dropout')
        report(
          'DLM303',
          p.file,
          p.nameSpan,
          `Dropout directly before ${name} shifts the batch statistics between training and evaluation (variance shift); put Dropout after the normalization, or drop it`,
        );
      // DLM308: bias before BatchNorm is cancelled by the mean subtraction.
      if (
        p &&
        (p.def.name === 'Dense' || p.def.name.startsWith('Conv')) &&
        p.attrs.bias === true &&
        (cons.get(p.outputs[0]!)?.length ?? 0) === 1
      ) {
        report(
          'DLM308',
          p.file,
          p.nameSpan,
          `the bias of ${p.label} is cancelled by ${name}'s mean subtraction; set bias=false to save ${formatNumber(p.params.find((x) => x.name === 'bias')?.shape[0] ?? 0)} parameters`,
        );
      }
      // DLM304: BatchNorm in a WGAN critic.
      if (/critic/i.test(model.name))
        report(
          'DLM304',
          n.file,
          n.nameSpan,
          `${name} inside a WGAN critic couples the samples of a batch and breaks the per-sample gradient penalty; use LayerNorm or no normalization`,
        );
    }
    // DLM306: zero or constant weights leave every unit identical. A learned tensor (a class
    // token) has no units that could stay symmetric, so it may well start at zero.
    if (!n.sharedRepeat && n.binding === undefined) {
      const w = n.params.find(
        (p) =>
          p.trainable &&
          p.shape.length >= 2 &&
          (p.init.kind === 'zeros' || p.init.kind === 'ones' || p.init.kind === 'constant'),
      );
      if (w) {
        const src = textOf(n.file).slice(n.span.start, n.span.end);
        const m = /init\s*=\s*"[^"]*"/.exec(src);
        const fixes: Fix[] = m
          ? [
              {
                title: 'Use the default initialization',
                edits: [
                  {
                    span: {
                      start: n.span.start + m.index,
                      end: n.span.start + m.index + m[0].length,
                    },
                    newText: 'init="default"',
                  },
                ],
                preferred: true,
              },
            ]
          : [];
        report(
          'DLM306',
          n.file,
          n.nameSpan,
          `${n.label}: every weight starts at ${w.init.kind === 'zeros' ? '0' : 'the same value'}, so all ${w.shape[0]} units compute the same function and receive the same gradient; they never learn different features. Use a random initialization (the default, or xavier/kaiming)`,
          fixes,
        );
      }
    }
    // DLM305 (checkerboard artifacts) is reported by the ConvTranspose shape rule itself.
  }

  // DLM301: a deep stack of saturating activations along one path (value ids are dense, so the
  // depths live in an array; only models with a saturating activation need them).
  if (!model.nodes.some((n) => SATURATING.has(n.def.name)))
    return lintLoss(model, train, report, textOf);
  const depth = new Array<number>(model.values.length).fill(0);
  for (const n of model.nodes) {
    let inDepth = 0;
    for (const v of n.inputs) inDepth = Math.max(inDepth, depth[v] ?? 0);
    const d = SATURATING.has(n.def.name)
      ? inDepth + 1
      : n.def.name === 'ReLU' || n.def.name.startsWith('BatchNorm') || n.def.name === 'LayerNorm'
        ? 0
        : inDepth;
    for (const o of n.outputs) depth[o] = d;
    if (SATURATING.has(n.def.name) && d === 5)
      report(
        'DLM301',
        n.file,
        n.nameSpan,
        `this is the 5th sigmoid/tanh activation in a row: their derivatives are at most ${n.def.name === 'Sigmoid' ? '0.25' : '1'} and shrink the gradient at every layer (vanishing gradients); prefer ReLU-family activations or add normalization`,
      );
  }
  lintLoss(model, train, report, textOf);
}

/** DLM302: softmax applied twice (the model's last layer against the train section's loss). */
function lintLoss(
  model: CheckedModel,
  train: CheckedTrain | undefined,
  report: LintReporter,
  textOf: (file: string) => string,
): void {
  if (train?.loss && model.outputs.length === 1) {
    const last = producer(model, model.outputs[0]!.value);
    const loss = train.loss.name;
    if (
      last &&
      (last.def.name === 'Softmax' || last.def.name === 'LogSoftmax') &&
      (loss === 'CrossEntropy' || loss === 'BCEWithLogits')
    ) {
      report(
        'DLM302',
        last.file,
        last.nameSpan,
        `${loss} expects logits and applies softmax itself; ending the model with ${last.def.name} applies it twice. Remove the ${last.def.name} stage (use it only at inference)`,
        removeStageFix(last, textOf(last.file)),
      );
    }
    if (last && last.def.name === 'Softmax' && loss === 'NLL')
      report(
        'DLM302',
        last.file,
        last.nameSpan,
        `NLL expects log-probabilities; end the model with LogSoftmax instead of Softmax`,
        [
          {
            title: 'Change to LogSoftmax',
            edits: [{ span: last.nameSpan, newText: 'LogSoftmax' }],
            preferred: true,
          },
        ],
      );
  }
}

/** Delete the stage together with the `|>` before it. */
function removeStageFix(n: LayerNode, text: string): Fix[] {
  let start = n.span.start;
  let i = start - 1;
  while (i >= 0 && /\s/.test(text[i]!)) i--;
  if (i >= 1 && text[i] === '>' && text[i - 1] === '|') start = i - 1;
  while (start > 0 && start < n.span.start && /[ \t]/.test(text[start - 1]!)) start--;
  return [
    {
      title: `Remove ${n.def.name}`,
      edits: [{ span: { start, end: n.span.end }, newText: '' }],
      preferred: true,
    },
  ];
}
