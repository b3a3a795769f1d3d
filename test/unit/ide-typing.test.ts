/**
 * Typing traps (the first ten minutes): no completion in comments, the argument detail reads
 * well, the pipeline continuation never doubles `|>` or strands one before `}`, a new file shows
 * how to start, and the language defaults and Enter rules do not continue pipelines in train
 * sections.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { codeLenses, STARTER_MODEL } from '../../src/ide/codelens';
import { COMPLETION_TRIGGERS, attrDetail, complete } from '../../src/ide/completion';
import { lineRepairEdits, onTypeEdits } from '../../src/ide/format';
import { signatureHelp } from '../../src/ide/signature';
import { checkText, memoryHost } from '../../src/language/program';

const F = '/w/a.dlm';
const ROOT = path.resolve(__dirname, '..', '..');
/** `‸` marks the cursor. */
function at(src: string) {
  const pos = src.indexOf('‸');
  const text = src.slice(0, pos) + src.slice(pos + 1);
  return { r: checkText(F, text, memoryHost({ [F]: text }, '/w')), pos, text };
}
const labels = (src: string) => {
  const { r, pos } = at(src);
  return complete(r, F, pos).items.map((i) => i.label);
};

describe('completion and signature help stay out of comments', () => {
  it('a line comment, at its end and inside, offers nothing', () => {
    assert.deepEqual(labels('// A small CNN for CIFAR-10 (3x32x32 images, 10 classes).‸'), []);
    assert.deepEqual(labels('// A small CNN for CIF‸AR-10'), []);
    assert.deepEqual(labels('model M(x: [B, 2]) {\n  x |> Dense(2) // then a bl‸\n}'), []);
  });

  it('a block comment offers nothing inside, and code right after it does', () => {
    assert.deepEqual(labels('/* a mod‸ */'), []);
    assert.deepEqual(labels('/* unterminated b‸'), []);
    assert.ok(labels('/* c */\nmo‸').includes('model'));
  });

  it('the same position outside a comment still completes', () => {
    assert.ok(labels('model M(x: [B, 2]) {\n  x |> Den‸\n}').includes('Dense'));
    assert.ok(labels('mod‸').includes('model'));
  });

  it('no signature help for a parenthesis in a comment', () => {
    const { r, pos } = at('// Conv2d(‸\nmodel M(x: [B, 2]) { x |> Dense(2) }');
    assert.equal(signatureHelp(r, F, pos), undefined);
    const code = at('model M(x: [B, 2]) { x |> Dense(‸) }');
    assert.ok(signatureHelp(code.r, F, code.pos));
  });
});

describe('argument completion detail', () => {
  it('reads "type · default value" instead of "type = value"', () => {
    assert.equal(
      attrDetail({ type: 'an int or a tuple of ints, each ≥ 1', default: '1' }),
      'an int or a tuple of ints, each ≥ 1 · default 1',
    );
    assert.equal(attrDetail({ type: 'an int ≥ 1', required: true }), 'an int ≥ 1 · required');
  });
});

describe('pipeline continuation on type', () => {
  const apply = (text: string, ch: string) => {
    const offset = text.length;
    const edits = onTypeEdits(text, offset, ch);
    let out = text;
    for (const e of [...edits].reverse())
      out = out.slice(0, e.start) + e.newText + out.slice(e.end);
    return out;
  };

  it('typing |> after the inserted "|> " leaves one |>', () => {
    assert.equal(
      apply('model M(x: [B, 2]) {\n  x\n    |> Dense(2)\n    |> |>', '>'),
      'model M(x: [B, 2]) {\n  x\n    |> Dense(2)\n    |>',
    );
    assert.equal(apply('  |>|>', '>'), '  |>');
  });

  it('a single |> or a comparison is left alone', () => {
    assert.deepEqual(onTypeEdits('  x |>', 6, '>'), []);
    assert.deepEqual(onTypeEdits('  |>', 4, '>'), []);
    assert.deepEqual(onTypeEdits('  if a > b', 10, '>'), []);
  });

  it('typing } on a line holding only the inserted "|> " closes the block at its indentation', () => {
    assert.equal(
      apply('model M(x: [B, 2]) {\n  x |> Dense(2)\n    |> }', '}'),
      'model M(x: [B, 2]) {\n  x |> Dense(2)\n}',
    );
    assert.equal(
      apply('block B()(x) {\n  y = x |> ReLU\n  if true {\n    y\n      |> }', '}'),
      'block B()(x) {\n  y = x |> ReLU\n  if true {\n    y\n  }',
    );
    assert.deepEqual(onTypeEdits('  x |> Dense(2) }', 17, '}'), []);
  });
});

describe('pipeline continuation repaired from the line (keystroke edits dropped under load)', () => {
  const repair = (text: string, line: number) => {
    let start = 0;
    for (let i = 0; i < line; i++) start = text.indexOf('\n', start) + 1;
    let out = text;
    for (const e of [...lineRepairEdits(text, start)].reverse())
      out = out.slice(0, e.start) + e.newText + out.slice(e.end);
    return out;
  };
  const model = (body: string) => `model M(x: [B, 2]) -> [B, 2] {\n  x\n  |> ReLU\n${body}\n}\n`;

  it('a line that starts with the inserted |> and a typed one keeps one, whatever follows', () => {
    assert.equal(repair(model('  |> |> Flatten'), 3), model('  |> Flatten'));
    assert.equal(repair(model('  |> |> Dense(10) |> ReLU'), 3), model('  |> Dense(10) |> ReLU'));
    assert.equal(repair(model('  |>|> Dense(1'), 3), model('  |> Dense(1'));
    assert.equal(repair(model('  |> |>'), 3), model('  |>'));
  });

  it('a line holding only "|> }" closes the block at its indentation', () => {
    assert.equal(
      repair('model M(x: [B, 2]) {\n  x |> Dense(2)\n  |> }\n', 2),
      'model M(x: [B, 2]) {\n  x |> Dense(2)\n}\n',
    );
  });

  it('valid lines are left alone', () => {
    for (const l of [
      '  |> Dense(2) |> ReLU',
      '  x |> |> y',
      '  |> } // no',
      '  |>',
      '  y = x |> ReLU',
    ])
      assert.deepEqual(lineRepairEdits(model(l), model(l).indexOf(l)), [], l);
  });
});

describe('Enter rules and language defaults', () => {
  const conf = JSON.parse(readFileSync(path.join(ROOT, 'language-configuration.json'), 'utf8')) as {
    onEnterRules: { beforeText: string; action: { appendText?: string } }[];
  };
  const continues = (line: string) =>
    conf.onEnterRules.some(
      (r) => new RegExp(r.beforeText).test(line) && r.action.appendText === '|> ',
    );

  it('continues after a pipeline stage and after "y = x |> …"', () => {
    assert.ok(continues('    |> Conv2d(32, 3)'));
    assert.ok(continues('  h = x |> Dense(4)'));
  });

  it('does not continue after a train setting such as "data = Digits"', () => {
    assert.ok(!continues('  data = Digits'));
    assert.ok(!continues('  loss = CrossEntropy'));
    assert.ok(!continues('// A small CNN for CIFAR-10 (3x32x32 images, 10 classes).'));
  });

  it('completion triggers only on >, = and "', () => {
    assert.deepEqual([...COMPLETION_TRIGGERS], ['>', '=', '"']);
    const server = readFileSync(path.join(ROOT, 'src/server/features.ts'), 'utf8');
    assert.match(server, /triggerCharacters: \[\.\.\.COMPLETION_TRIGGERS\]/);
  });

  it('dlm files default to 2-space indentation and "smart" Enter acceptance', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    const d = pkg.contributes.configurationDefaults['[dlm]'];
    assert.equal(d['editor.tabSize'], 2);
    assert.equal(d['editor.insertSpaces'], true);
    assert.equal(d['editor.acceptSuggestionOnEnter'], 'smart');
    assert.equal(d['editor.formatOnType'], true);
  });
});

describe('a new file shows how to start', () => {
  it('an empty or comment-only file gets "Insert a model" and "Open an example…" lenses', () => {
    for (const text of ['', '\n\n', '// my first model\n']) {
      const r = checkText(F, text, memoryHost({ [F]: text }, '/w'));
      const lenses = codeLenses(r, F);
      assert.deepEqual(
        lenses.map((l) => l.title),
        ['Insert a model', 'Open an example…'],
        JSON.stringify(text),
      );
      assert.equal(lenses[0]!.command!.id, 'editor.action.insertSnippet');
    }
  });

  it('the starter model, with its placeholders filled by their defaults, checks cleanly', () => {
    const text = STARTER_MODEL.replace(/\$\{\d+:([^}]*)\}/g, '$1').replace(/\$0/g, '');
    const r = checkText(F, text, memoryHost({ [F]: text }, '/w'));
    assert.deepEqual(
      r.diagnostics.map((d) => `${d.code} ${d.message}`),
      [],
    );
    assert.equal(r.models.length, 1);
    assert.ok(!codeLenses(r, F).some((l) => l.title === 'Insert a model'));
  });
});

describe('starter snippets come from the server, at the top level only', () => {
  it('mid-pipeline, "ReLU" offers layers and no snippet', () => {
    const got = complete(
      at('model M(x: [B, 2]) {\n  x |> ReLU‸\n}').r,
      F,
      at('model M(x: [B, 2]) {\n  x |> ReLU‸\n}').pos,
    ).items;
    assert.ok(got.length > 0);
    assert.ok(
      got.every((i) => !i.isSnippet || i.kind !== 'keyword'),
      got.map((i) => i.label).join(),
    );
    assert.equal(got[0]!.label, 'ReLU');
  });

  it('each top-level snippet, placeholders filled, checks cleanly', () => {
    const { r, pos } = at('‸');
    const snippets = complete(r, F, pos).items.filter((i) => i.isSnippet && i.insertText);
    const labels = snippets.map((i) => i.label);
    for (const l of ['model', 'mlp', 'cnn', 'resblock', 'lstm']) assert.ok(labels.includes(l), l);
    for (const it of snippets.filter((i) => ['mlp', 'cnn', 'resblock', 'lstm'].includes(i.label))) {
      const text = it.insertText!.replace(/\$\{\d+:([^}]*)\}/g, '$1').replace(/\$0/g, '');
      const c = checkText(F, text, memoryHost({ [F]: text }, '/w'));
      assert.deepEqual(
        c.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code} ${d.message}`),
        [],
        it.label,
      );
    }
  });
});
