/**
 * The `init` attribute of layers with weight matrices (Dense, convolutions): which distribution
 * the weights start from (docs/conventions.md §7). Biases keep PyTorch's default.
 */
import type { AttrSpec, InitSpec, ParamSpec } from './types';

export const INIT_CHOICES = [
  'default',
  'xavier_uniform',
  'xavier_normal',
  'kaiming_uniform',
  'kaiming_normal',
  'zeros',
  'ones',
] as const;

export const INIT_ATTR: AttrSpec = {
  name: 'init',
  type: { kind: 'string', values: INIT_CHOICES },
  default: 'default',
  doc: [
    'Weight initialization.',
    '`default` is PyTorch’s: kaiming-uniform with a = √5, i.e. `U(−1/√fan_in, 1/√fan_in)`.',
    '`xavier_uniform`: `U(−a, a)` with `a = √(6/(fan_in + fan_out))` (Glorot); `xavier_normal`: `N(0, 2/(fan_in + fan_out))`.',
    '`kaiming_uniform`: `U(−√(6/fan_in), √(6/fan_in))` (He, for ReLU); `kaiming_normal`: `N(0, 2/fan_in)`.',
    '`zeros` and `ones` leave every unit identical, so they never learn different features (warning DLM306).',
  ].join(' '),
};

/**
 * The parameters of a layer with a weight tensor and an optional bias (Dense, the convolutions):
 * the weight initialized by the `init` choice, the bias `[biasSize]` by PyTorch's default for
 * `fanIn`. `formula` is the weight's count as the hover shows it (default: its shape, `a·b·…`).
 */
export function weightAndBias(opts: {
  readonly weightShape: readonly number[];
  readonly init: string;
  readonly fanIn: number;
  readonly fanOut: number;
  readonly bias: boolean;
  readonly biasSize: number;
  readonly formula?: string;
}): ParamSpec[] {
  const params: ParamSpec[] = [
    {
      name: 'weight',
      shape: [...opts.weightShape],
      trainable: true,
      init: weightInit(opts.init, opts.fanIn, opts.fanOut),
      formula: opts.formula ?? opts.weightShape.join('·'),
    },
  ];
  if (opts.bias)
    params.push({
      name: 'bias',
      shape: [opts.biasSize],
      trainable: true,
      init: { kind: 'kaiming_uniform', fanIn: opts.fanIn },
      formula: `${opts.biasSize}`,
    });
  return params;
}

/** The InitSpec for a weight tensor given the `init` choice and its fans. */
export function weightInit(choice: string, fanIn: number, fanOut: number): InitSpec {
  switch (choice) {
    case 'xavier_uniform':
      return { kind: 'uniform', bound: Math.sqrt(6 / (fanIn + fanOut)) };
    case 'xavier_normal':
      return { kind: 'normal', std: Math.sqrt(2 / (fanIn + fanOut)) };
    case 'kaiming_uniform':
      return { kind: 'uniform', bound: Math.sqrt(6 / fanIn) };
    case 'kaiming_normal':
      return { kind: 'normal', std: Math.sqrt(2 / fanIn) };
    case 'zeros':
      return { kind: 'zeros' };
    case 'ones':
      return { kind: 'ones' };
    default:
      return { kind: 'kaiming_uniform', fanIn };
  }
}
