/**
 * Layer completion after `|>` ranks the layers that accept the incoming tensor first and shows the
 * shape each would produce, from the layers' own shape rules (issue 14, "Layer completion").
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { complete, type CompletionItem } from '../../src/ide/completion';
import { checkText, memoryHost } from '../../src/language/program';

const F = '/w/a.dlm';
/** Layer items at `‸`, in the order the editor shows them (by sortText). */
function layers(src: string): CompletionItem[] {
  const pos = src.indexOf('‸');
  const text = src.slice(0, pos) + src.slice(pos + 1);
  const r = checkText(F, text, memoryHost({ [F]: text }, '/w'));
  return complete(r, F, pos)
    .items.filter((i) => i.kind === 'layer')
    .sort((a, b) => (a.sortText ?? a.label).localeCompare(b.sortText ?? b.label));
}
const rankOf = (items: CompletionItem[], label: string) =>
  items.findIndex((i) => i.label === label);
const detail = (items: CompletionItem[], label: string) =>
  items.find((i) => i.label === label)!.detail;

describe('layer completion ranked by the input', () => {
  const cnn = 'model M(x: [B, 3, 32, 32]) -> [B, 10] {\n  x\n  |> Conv2d(8, 3)\n  |> ‸\n}\n';

  it('a 4-D input puts the 2-D layers before Concat, Conv1d and Conv3d', () => {
    const items = layers(cnn);
    const lastFit = Math.max(
      ...['Conv2d', 'MaxPool2d', 'ReLU', 'Flatten'].map((l) => rankOf(items, l)),
    );
    for (const wrong of ['Concat', 'Conv1d', 'Conv3d', 'LSTM', 'Dense'])
      assert.ok(rankOf(items, wrong) > lastFit, `${wrong} ranks after the layers that fit`);
    assert.equal(items[0]!.label.startsWith('Concat'), false);
  });

  it('each fitting layer shows the shape it produces; unknown arguments are named or ?', () => {
    const items = layers(cnn);
    assert.match(detail(items, 'ReLU'), /^→ \[B, 8, 30, 30\]/);
    assert.match(detail(items, 'Flatten'), /^→ \[B, 7200\]/);
    assert.match(detail(items, 'GlobalAvgPool'), /^→ \[B, 8\]/);
    assert.match(detail(items, 'Conv2d'), /^→ \[B, out, \?, \?\]/);
    assert.match(detail(items, 'MaxPool2d'), /^→ \[B, 8, \?, \?\]/);
    assert.match(detail(items, 'Conv1d'), /^does not take \[B, 8, 30, 30\]/);
  });

  it('the head of a pipeline is the named input; a flat input ranks Dense and shows its out', () => {
    const items = layers('model M(x: [B, 20]) -> [B, 10] {\n  x |> ‸\n}\n');
    assert.match(detail(items, 'Dense'), /^→ \[B, out\]/);
    assert.ok(rankOf(items, 'Dense') < rankOf(items, 'Conv2d'));
    assert.match(detail(items, 'Conv2d'), /^does not take \[B, 20\]/);
  });

  it('integer ids rank Embedding first among the float layers', () => {
    const items = layers('model M(t: int[B, T]) -> [B, T, 8] {\n  t |> ‸\n}\n');
    assert.match(detail(items, 'Embedding'), /^→ \[B, T, dim\]/);
    assert.ok(rankOf(items, 'Embedding') < rankOf(items, 'Dense'));
  });

  it('after a recurrent layer the sequence shape flows on; LSTM shows its hidden size', () => {
    const items = layers(
      'model M(x: [B, T, 16]) -> [B, T, 8] {\n  x |> LSTM(4, bidirectional=true) |> ‸\n}\n',
    );
    assert.match(detail(items, 'Dense'), /^→ \[B, T, out\]/);
    const lstm = layers('model M(x: [B, T, 16]) -> [B, T, 8] {\n  x |> ‸\n}\n');
    assert.match(detail(lstm, 'LSTM'), /^→ \[B, T, hidden\]/);
  });

  it('without a known input (an error upstream) the list is unranked, as before', () => {
    const items = layers('model M(x: [B, 3, 32, 32]) -> [B, 10] {\n  x |> Nope |> ‸\n}\n');
    assert.ok(items.every((i) => !i.detail.startsWith('→') && !i.detail.startsWith('does not')));
  });
});
