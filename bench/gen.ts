/** Generators for large .dlm inputs, shared by the benchmarks. */

/** One model with `layers` layers (Dense/ReLU pairs, one stage per line). */
export function bigModel(layers: number): string {
  const lines = ['/// A generated deep MLP', `model Deep(x: [B, 64]) -> [B, 10] {`, '  x'];
  for (let i = 0; i < layers / 2 - 1; i++) lines.push('  |> Dense(64) |> ReLU');
  lines.push('  |> Dense(10) |> ReLU', '}');
  return lines.join('\n') + '\n';
}

/** A file of about `targetLines` lines: blocks, CNN models with bindings and residual merges. */
export function bigFile(targetLines: number): string {
  const out: string[] = [
    '/// Residual block used by every generated model.',
    'block Res(c: int, stride: int = 1)(x: [B, C, H, W]) {',
    '  h = x',
    '    |> Conv2d(c, 3, stride=stride, padding=1, bias=false)',
    '    |> BatchNorm2d',
    '    |> ReLU',
    '    |> Conv2d(c, 3, padding=1, bias=false)',
    '    |> BatchNorm2d',
    '  skip = x',
    '  if stride != 1 or C != c {',
    '    skip = x |> Conv2d(c, 1, stride=stride, bias=false) |> BatchNorm2d',
    '  }',
    '  (h, skip) |> Add |> ReLU',
    '}',
    '',
  ];
  let i = 0;
  while (out.length < targetLines) {
    // Vary widths and input sizes so that no two models are the same.
    const w = 8 + (i % 13) * 4;
    const size = 32 + (i % 5) * 8;
    const classes = 2 + (i % 9);
    out.push(
      `/// Generated model ${i}`,
      `model M${i}(x: [B, 3, ${size}, ${size}]) -> [B, ${classes}] {`,
      `  // stem`,
      `  stem = x`,
      `    |> Conv2d(${w}, 3, padding=1, bias=false)`,
      `    |> BatchNorm2d`,
      `    |> ReLU`,
      `  a = stem |> Res(${w}) |> Res(${w})`,
      `  b = a |> Res(${2 * w}, stride=2)`,
      `  c = b |> Res(${4 * w}, stride=2)`,
      `  c`,
      `    |> GlobalAvgPool`,
      `    |> Dense(64)`,
      `    |> ReLU`,
      `    |> Dropout(0.1)`,
      `    |> Dense(${classes})`,
      `}`,
      '',
      `train M${i} {`,
      `  data = Idx(images="data/imgs.idx", labels="data/labels.idx")`,
      `  loss = CrossEntropy`,
      `  optimizer = Adam(lr=1e-3)`,
      `  epochs = 5`,
      `}`,
      '',
    );
    i++;
  }
  return out.join('\n') + '\n';
}

/** The same number of lines of TypeScript, for the peer parser. */
export function tsPeer(lines: number): string {
  const out: string[] = [];
  for (let i = 0; out.length < lines; i++)
    out.push(
      `/** Generated class ${i} */`,
      `export class Model${i} {`,
      `  private readonly layers: number[] = [16, 32, 64];`,
      `  forward(x: number[]): number[] {`,
      `    const h = x.map((v, j) => v * this.layers[j % 3]! + 1);`,
      `    return h.filter((v) => v > 0);`,
      `  }`,
      `}`,
      '',
    );
  return out.join('\n');
}
