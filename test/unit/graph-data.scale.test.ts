/**
 * Graph data for one model of a large file reads the file's diagnostics once, not once per node
 * (dlm/checkResult builds graph data for every model of the file): counted as reads of the
 * diagnostics' fields, for a long model and many diagnostics elsewhere in the file.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Diagnostic } from '../../src/core';
import { checkText, memoryHost } from '../../src/language/program';
import { buildGraphData } from '../../src/views/graphData';

const PATH = '/ws/big.dlm';

describe('graph data scales with nodes plus diagnostics', () => {
  it('diagnostics outside the model are read once each, not once per node', () => {
    const stages = 600;
    const body = Array.from({ length: stages }, (_, i) => (i % 2 ? '  |> ReLU' : '  |> Dense(8)'));
    const text = `model Long(x: [B, 8]) -> [B, 8] {\n  x\n${body.join('\n')}\n}\n`;
    const r = checkText(PATH, text, memoryHost({}, '/ws'));
    const model = r.models[0]!;
    assert.equal(model.nodes.length, stages);
    // Diagnostics of other models further down the same file.
    let reads = 0;
    const count = 2000;
    const diagnostics: Diagnostic[] = Array.from({ length: count }, (_, i) => {
      const d: Diagnostic = {
        code: 'DLM100',
        severity: i % 2 ? 'error' : 'warning',
        file: PATH,
        span: { start: text.length + 10 * i, end: text.length + 10 * i + 5 },
        message: 'elsewhere',
      };
      return new Proxy(d, {
        get(target, prop, recv) {
          reads++;
          return Reflect.get(target, prop, recv) as unknown;
        },
      });
    });
    const g = buildGraphData(model, diagnostics, {
      shapeStyle: 'brackets',
      macsOrFlops: 'macs',
      files: r.files,
    });
    assert.ok(g.nodes.length > stages);
    assert.ok(
      reads <= 4 * count,
      `${reads} field reads for ${count} diagnostics and ${stages} nodes (per node: ${stages * count})`,
    );
  });
});
