/**
 * Every file a comment, doc or script names must exist in the repository: the repository stands
 * alone, so a reference to a document kept elsewhere (or since renamed) fails here.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { test } from 'node:test';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const SCAN = [
  'src',
  'test',
  'scripts',
  'bench',
  'docs',
  'examples',
  'webview',
  'README.md',
  'eslint.config.mjs',
  'esbuild.mjs',
  'package.json',
];
const SKIP_DIRS = new Set(['node_modules', '.git', 'dist', '.cache', 'test-results', 'fixtures']);
const TEXT = /\.(ts|mjs|js|py|md|dlm|json)$/;

function* files(p: string): Generator<string> {
  const st = statSync(p);
  if (st.isFile()) {
    if (TEXT.test(p)) yield p;
    return;
  }
  for (const e of readdirSync(p)) if (!SKIP_DIRS.has(e)) yield* files(path.join(p, e));
}

// Repository paths such as docs/limits.md or src/core/dim.ts, anywhere in a file.
const REPO_PATH =
  /(?<![\w./-])((?:docs|src|test|scripts|bench|examples|webview|media|syntaxes)\/[\w./-]*\.(?:md|ts|mjs|py|json|dlm))\b/g;
// Bare document names such as NOTES.md (not part of a longer path).
const BARE_DOC = /(?<![\w./-])([A-Za-z][\w-]*\.md)\b/g;
// Markdown links with a relative target.
const MD_LINK = /\]\(([^)\s#]+)(?:#[^)]*)?\)/g;

function exists(rel: string, from: string): boolean {
  return [
    path.join(path.dirname(from), rel),
    path.join(ROOT, rel),
    path.join(ROOT, 'docs', rel),
  ].some((c) => existsSync(c));
}

test('every referenced repository file exists', () => {
  const missing: string[] = [];
  for (const top of SCAN) {
    const abs = path.join(ROOT, top);
    if (!existsSync(abs)) continue;
    for (const f of files(abs)) {
      if (f === __filename) continue;
      const text = readFileSync(f, 'utf8');
      const where = (i: number) =>
        `${path.relative(ROOT, f)}:${text.slice(0, i).split('\n').length}`;
      for (const m of text.matchAll(REPO_PATH))
        if (!/\*|scratch/.test(m[1]!) && !exists(m[1]!, f))
          missing.push(`${where(m.index!)} → ${m[1]}`);
      for (const m of text.matchAll(BARE_DOC))
        if (!exists(m[1]!, f)) missing.push(`${where(m.index!)} → ${m[1]}`);
      if (f.endsWith('.md'))
        for (const m of text.matchAll(MD_LINK)) {
          const t = m[1]!;
          if (/^[a-z]+:/i.test(t)) continue; // http:, mailto:, vscode: …
          if (!existsSync(path.join(path.dirname(f), t))) missing.push(`${where(m.index!)} → ${t}`);
        }
    }
  }
  assert.deepEqual(missing, [], `references to files that do not exist:\n${missing.join('\n')}`);
});

test('the scan catches a missing reference', () => {
  assert.ok(!exists('NO-SUCH-DOC.md', path.join(ROOT, 'src', 'x.ts')));
  assert.deepEqual(
    [...'see NOWHERE.md section 7'.matchAll(BARE_DOC)].map((m) => m[1]),
    ['NOWHERE.md'],
  );
  assert.deepEqual(
    [...'in src/core/nothing.ts'.matchAll(REPO_PATH)].map((m) => m[1]),
    ['src/core/nothing.ts'],
  );
});
