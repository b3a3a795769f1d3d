import type { Severity } from './diagnostic';

/** Every diagnostic code, its default severity and a one-line explanation (docs/diagnostics.md). */
export const CODES = {
  // syntax
  DLM001: { severity: 'error', title: 'Syntax error' },
  DLM002: { severity: 'error', title: 'Unterminated string or comment' },
  DLM003: { severity: 'error', title: 'Invalid character or number literal' },
  // names and structure
  DLM010: { severity: 'error', title: 'Unknown layer or block' },
  DLM011: { severity: 'error', title: 'Unknown attribute' },
  DLM012: { severity: 'error', title: 'Wrong attribute type' },
  DLM013: { severity: 'error', title: 'Missing required attribute' },
  DLM014: { severity: 'error', title: 'Attribute given twice or too many positional arguments' },
  DLM015: { severity: 'error', title: 'Duplicate name' },
  DLM016: { severity: 'error', title: 'Undefined name' },
  DLM017: { severity: 'warning', title: 'Unused binding' },
  DLM018: { severity: 'error', title: 'Import not found or outside the workspace' },
  DLM019: { severity: 'error', title: 'Import cycle' },
  DLM020: { severity: 'error', title: 'Wrong number of inputs' },
  DLM021: { severity: 'error', title: 'Recursive block' },
  DLM022: { severity: 'error', title: 'Expression is not a compile-time constant or has the wrong type' },
  DLM023: { severity: 'error', title: 'Model or block output does not match its signature count' },
  // shapes
  DLM100: { severity: 'error', title: 'Feature or channel size mismatch' },
  DLM101: { severity: 'error', title: 'Wrong rank' },
  DLM102: { severity: 'error', title: 'Spatial size shrinks to zero or below' },
  DLM103: { severity: 'warning', title: 'Output size floored from a non-integer' },
  DLM104: { severity: 'error', title: 'Merge of incompatible shapes' },
  DLM105: { severity: 'error', title: 'Size not divisible' },
  DLM106: { severity: 'error', title: 'Inferred shape does not match the declared signature' },
  DLM107: { severity: 'error', title: 'Input does not match the block signature' },
  DLM108: { severity: 'error', title: 'Invalid attribute value' },
  // data and training
  DLM200: { severity: 'error', title: 'Unknown dataset, loss, optimizer, schedule or metric' },
  DLM201: { severity: 'error', title: 'Invalid training setting' },
  DLM202: { severity: 'error', title: 'Train section names an unknown model' },
  DLM203: { severity: 'error', title: 'Data file path is outside the workspace' },
  DLM204: { severity: 'error', title: 'Loss does not fit the model output' },
  DLM205: { severity: 'error', title: 'Missing or duplicate training setting' },
  // learner lints
  DLM300: { severity: 'warning', title: 'Linear layers without a nonlinearity collapse into one' },
  DLM301: { severity: 'warning', title: 'Deep sigmoid/tanh stack risks vanishing gradients' },
  DLM302: { severity: 'warning', title: 'Softmax before a loss that expects logits' },
  DLM303: { severity: 'warning', title: 'Dropout directly before BatchNorm' },
  DLM304: { severity: 'warning', title: 'BatchNorm inside a WGAN critic' },
  DLM305: { severity: 'warning', title: 'ConvTranspose kernel not divisible by its stride (checkerboard artifacts)' },
  DLM306: { severity: 'warning', title: 'Zero or constant weight initialization' },
  DLM307: { severity: 'warning', title: 'Learning rate far outside the optimizer’s usual range' },
  DLM308: { severity: 'info', title: 'Bias before BatchNorm is redundant' },
  // internal
  DLM900: { severity: 'error', title: 'Internal checker error (please report)' },
} as const satisfies Record<string, { severity: Severity; title: string }>;

export type Code = keyof typeof CODES;
