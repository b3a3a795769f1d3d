/**
 * The .dlm parser: hand-written recursive descent, Pratt parsing for expressions.
 *
 * Total: `parse` never throws and always terminates. Every loop consumes at least one token per
 * iteration or exits; nesting deeper than MAX_DEPTH is reported instead of recursing further.
 * On a syntax error the parser reports one DLM001, puts `Missing` nodes into the holes, and
 * resynchronizes at the next statement or item boundary, so the valid parts keep a full tree.
 */
import type {
  Arg,
  BinaryOp,
  BlockItem,
  BlockParam,
  Body,
  CallExpr,
  Comment,
  DataItem,
  DocComment,
  Expr,
  IfStmt,
  ImportItem,
  Item,
  LayerDeclStmt,
  ParamDeclStmt,
  LayerStage,
  ListExpr,
  MissingExpr,
  ModelItem,
  Node,
  ParseError,
  Pipeline,
  PipelineSource,
  ReturnStmt,
  SourceFile,
  Stage,
  Stmt,
  StringLit,
  TensorParam,
  TrainItem,
  WeightsMapping,
  WeightsStmt,
  Ident,
} from './ast';
import type { Span } from '../core/range';
import { describeToken, KEYWORDS, lex, type Token, type TokenKind } from './lexer';
import { shiftComments, shiftItems } from './shift';

/** Nesting depth (parentheses, blocks, unary chains, repeat) beyond which the parser gives up. */
export const MAX_DEPTH = 200;
/**
 * Binary operators one expression may chain at one precedence level (`1 + 1 + …`): a longer
 * chain would make a syntax tree too deep for the recursive passes over it (DLM034).
 */
export const MAX_EXPR_OPERATORS = 256;

export function parse(text: string, uri: string): SourceFile {
  const lexed = lex(text);
  const parser = new Parser(text, lexed.tokens, lexed.comments, lexed.errors);
  const items = parser.parseFile();
  const errors = parser.errors.slice().sort((a, b) => a.span.start - b.span.start);
  return { kind: 'File', uri, text, items, errors, comments: lexed.comments };
}

/** Where two texts differ: old[start, oldEnd) became new[start, oldEnd + delta). */
export interface EditRegion {
  readonly start: number;
  readonly oldEnd: number;
  readonly delta: number;
}

/** The one region where two texts differ: common prefix and suffix removed. */
export function editRegion(a: string, b: string): EditRegion {
  const n = Math.min(a.length, b.length);
  let p = 0;
  while (p < n && a.charCodeAt(p) === b.charCodeAt(p)) p++;
  let q = 0;
  while (q < n - p && a.charCodeAt(a.length - 1 - q) === b.charCodeAt(b.length - 1 - q)) q++;
  return { start: p, oldEnd: a.length - q, delta: b.length - a.length };
}

/**
 * Parse `text`, the edited version of `old.text`, reusing the items of `old` that lie outside the
 * edit: the items before it are kept; the items whose extent (from the end of the item before, so
 * doc comments count) touches the edit are lexed and parsed again; the items after them are kept
 * when the length is unchanged, and copied with shifted spans otherwise (shift.ts).
 *
 * Returns undefined when reuse cannot be proven to give exactly `parse(text)`: the old file or
 * the re-parsed window has a lexical or syntax error (recovery may then cross item boundaries),
 * or the window does not end on a token boundary followed by whitespace. The caller then parses
 * the whole text. Tests check the result against a full parse over random edits.
 */
export function reparse(old: SourceFile, text: string, edit: EditRegion): SourceFile | undefined {
  if (old.errors.length > 0) return undefined;
  const items = old.items;
  const n = items.length;
  // Items j..k-1 are affected; their extents tile [0, end of the last item].
  let j = n;
  let k = n;
  for (let i = 0; i < n; i++) {
    const r0 = i === 0 ? 0 : items[i - 1]!.span.end;
    const r1 = items[i]!.span.end;
    if (r0 <= edit.oldEnd && edit.start <= r1) {
      if (j === n) j = i;
      k = i + 1;
    } else if (j < n) break;
  }
  // The window ends at the end of the last affected item: the items after it are kept as they
  // are when the length is unchanged, and copied with shifted spans otherwise (shift.ts: several
  // times faster than lexing and parsing them again). When the last item is affected (or the
  // edit lies after every item) the window extends to the end of the text.
  const toEnd = k === n;
  const from = j === 0 ? 0 : items[j - 1]!.span.end;
  const oldTo = toEnd ? old.text.length : items[k - 1]!.span.end;
  const to = toEnd ? text.length : oldTo + edit.delta;
  if (from > edit.start || to < from) return undefined;
  if (!toEnd) {
    const c = text.charCodeAt(to);
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13) return undefined;
  }
  const lexed = lex(text, from, to);
  if (lexed.errors.length > 0) return undefined;
  const toks = lexed.tokens;
  if (!toEnd && (toks.length < 2 || toks[toks.length - 2]!.end !== to)) return undefined;
  const parser = new Parser(text, toks, lexed.comments, lexed.errors);
  const windowItems = parser.parseFile();
  if (parser.errors.length > 0) return undefined;
  const comments: Comment[] = [];
  for (const c of old.comments) if (c.span.end <= from) comments.push(c);
  for (const c of lexed.comments) comments.push(c);
  let after: readonly Item[] = [];
  if (!toEnd) {
    const later: Comment[] = [];
    for (const c of old.comments) if (c.span.start >= oldTo) later.push(c);
    for (const c of edit.delta === 0 ? later : shiftComments(later, edit.delta)) comments.push(c);
    after = edit.delta === 0 ? items.slice(k) : shiftItems(items.slice(k), edit.delta);
  }
  return {
    kind: 'File',
    uri: old.uri,
    text,
    items: [...items.slice(0, j), ...windowItems, ...after],
    errors: [],
    comments,
  };
}

// ---------------------------------------------------------------- binding powers

/** Infix operators: left binding power. Right binding power is lbp + 1 (left-associative). */
const INFIX: Partial<Record<TokenKind, number>> = {
  or: 2,
  and: 4,
  '==': 8,
  '!=': 8,
  '<': 8,
  '<=': 8,
  '>': 8,
  '>=': 8,
  '+': 10,
  '-': 10,
  '*': 12,
  '/': 12,
  '%': 12,
};
/** `not x`: the operand includes comparisons but stops before `and`/`or`. */
const NOT_OPERAND_BP = 8;
/** Unary minus/plus bind tighter than every infix operator. */
const UNARY_OPERAND_BP = 14;

const ITEM_KEYWORDS: ReadonlySet<TokenKind> = new Set<TokenKind>([
  'model',
  'block',
  'data',
  'train',
  'import',
]);

const KEYWORD_KINDS: ReadonlySet<TokenKind> = new Set<TokenKind>(KEYWORDS);

type BodyKind = 'tensor' | 'train';

class Parser {
  readonly errors: ParseError[];
  private readonly toks: readonly Token[];
  private pos = 0;
  /** End offset of the last consumed token. */
  private lastEnd = 0;
  private depth = 0;
  /** Spans of unterminated strings/comments (in order); syntax errors inside them are noise. */
  private readonly unterminated: Span[];

  constructor(
    private readonly text: string,
    rawTokens: readonly Token[],
    private readonly comments: readonly Comment[],
    lexErrors: readonly ParseError[],
  ) {
    this.errors = lexErrors.slice();
    this.unterminated = lexErrors.filter((e) => e.code === 'DLM002').map((e) => e.span);
    // Error tokens were already reported by the lexer (DLM003); drop them but keep line breaks.
    if (!rawTokens.some((t) => t.kind === 'error')) {
      this.toks = rawTokens;
      return;
    }
    const toks: Token[] = [];
    let pendingNewline = false;
    for (const t of rawTokens) {
      if (t.kind === 'error') {
        pendingNewline ||= t.newlineBefore;
        continue;
      }
      toks.push(pendingNewline && !t.newlineBefore ? { ...t, newlineBefore: true } : t);
      pendingNewline = false;
    }
    this.toks = toks;
  }

  // ---------------------------------------------------------------- token helpers

  private peek(k = 0): Token {
    const i = Math.min(this.pos + k, this.toks.length - 1);
    return this.toks[i]!;
  }
  private at(kind: TokenKind): boolean {
    return this.peek().kind === kind;
  }
  private next(): Token {
    const t = this.peek();
    if (t.kind !== 'eof') {
      this.pos++;
      this.lastEnd = t.end;
    }
    return t;
  }
  private eat(kind: TokenKind): Token | undefined {
    return this.at(kind) ? this.next() : undefined;
  }
  private atEof(): boolean {
    return this.peek().kind === 'eof';
  }
  /** An item keyword that really starts an item (`data = mnist` in a train body does not). */
  private atItemStart(): boolean {
    const t = this.peek();
    if (t.kind === 'frozen') return this.peek(1).kind === 'model';
    return ITEM_KEYWORDS.has(t.kind) && this.peek(1).kind !== '=';
  }
  /** Span from `start` to the end of the last consumed token; zero-width if nothing was consumed. */
  private spanFrom(start: number): Span {
    return this.lastEnd < start
      ? { start: this.lastEnd, end: this.lastEnd }
      : { start, end: this.lastEnd };
  }
  private here(): Span {
    return { start: this.lastEnd, end: this.lastEnd };
  }
  private missing(): MissingExpr {
    return { kind: 'Missing', span: this.here() };
  }
  private missingIdent(): Ident {
    return { kind: 'Ident', name: '', span: this.here() };
  }
  private identOf(t: Token): Ident {
    return { kind: 'Ident', name: t.text ?? '', span: { start: t.start, end: t.end } };
  }

  // ---------------------------------------------------------------- errors

  private report(span: Span, message: string, code = 'DLM001'): void {
    const last = this.errors[this.errors.length - 1];
    if (last && last.code === code && last.span.start === span.start) return;
    if (this.inUnterminated(span.start)) return;
    this.errors.push({ code, span, message });
  }
  /**
   * "expected X": at the offending token when it is on the same line, otherwise right after the
   * last consumed token (so that a missing ')' is reported at the end of the line it belongs to).
   */
  private expected(message: string): void {
    const t = this.peek();
    if (t.kind === 'eof' || t.newlineBefore) this.report(this.here(), message);
    else this.report({ start: t.start, end: t.end }, message);
  }
  private inUnterminated(offset: number): boolean {
    const u = this.unterminated;
    let lo = 0;
    let hi = u.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = u[mid]!;
      if (offset < s.start) hi = mid - 1;
      else if (offset > s.end) lo = mid + 1;
      else return true;
    }
    return false;
  }

  private enter(): boolean {
    if (this.depth >= MAX_DEPTH) {
      const t = this.peek();
      this.report(
        { start: t.start, end: t.end },
        `nesting is deeper than ${MAX_DEPTH} levels (parentheses, brackets, unary operators or repeat); the rest of this statement is skipped`,
        'DLM033',
      );
      return false;
    }
    this.depth++;
    return true;
  }
  private leave(): void {
    this.depth--;
  }

  // ---------------------------------------------------------------- items

  parseFile(): Item[] {
    const items: Item[] = [];
    while (!this.atEof()) {
      if (this.eat(';')) continue;
      const before = this.pos;
      const errs = this.errors.length;
      const item = this.atItemStart() ? this.parseItem() : undefined;
      if (item) items.push(item);
      else {
        const t = this.peek();
        this.report(
          { start: t.start, end: t.end },
          `expected an item (model, block, data, train or import), found ${describeToken(t)}`,
        );
      }
      if (this.errors.length > errs || this.pos === before) this.syncToItem(this.pos === before);
    }
    return items;
  }

  /** Skips to the next token that starts an item. */
  private syncToItem(mustConsume: boolean): void {
    if (mustConsume && !this.atEof()) this.next();
    while (!this.atEof() && !(this.atItemStart() && this.peek().newlineBefore)) {
      if (this.atItemStart() && this.peek(1).kind === 'ident') break;
      this.next();
    }
  }

  private parseItem(): Item | undefined {
    const t = this.peek();
    switch (t.kind) {
      case 'import':
        return this.parseImport();
      case 'frozen':
      case 'model':
        return this.parseModel();
      case 'block':
        return this.parseBlock();
      case 'data':
        return this.parseData();
      case 'train':
        return this.parseTrain();
      default:
        return undefined;
    }
  }

  private docBefore(index: number): DocComment | undefined {
    const t = this.toks[index]!;
    const prev = index > 0 ? this.toks[index - 1] : undefined;
    const lo = prev ? prev.commentIndex : 0;
    let first = t.commentIndex;
    let gapEnd = t.start;
    // Walk back over `///` comments separated from what follows by whitespace and one line break.
    while (first > lo) {
      const c = this.comments[first - 1]!;
      if (!c.doc || !this.isLineGap(c.span.end, gapEnd)) break;
      first--;
      gapEnd = c.span.start;
    }
    if (first === t.commentIndex) return undefined;
    const lines: string[] = [];
    for (let k = first; k < t.commentIndex; k++) {
      const s = this.comments[k]!.span;
      let line = this.text.slice(s.start + 3, s.end);
      if (line.startsWith(' ')) line = line.slice(1);
      lines.push(line.trimEnd());
    }
    const span = {
      start: this.comments[first]!.span.start,
      end: this.comments[t.commentIndex - 1]!.span.end,
    };
    return { span, text: lines.join('\n') };
  }

  /** True when text[from, to) is whitespace with at most one line break. */
  private isLineGap(from: number, to: number): boolean {
    let breaks = 0;
    for (let i = from; i < to; i++) {
      const c = this.text.charCodeAt(i);
      if (c === 10) breaks++;
      else if (c === 13) {
        if (this.text.charCodeAt(i + 1) !== 10) breaks++;
      } else if (c !== 32 && c !== 9 && c !== 11 && c !== 12 && c !== 0xa0 && c !== 0xfeff) {
        return false;
      }
      if (breaks > 1) return false;
    }
    return true;
  }

  private parseImport(): ImportItem {
    const start = this.next().start;
    let path: StringLit | MissingExpr;
    const t = this.eat('string');
    if (t) path = { kind: 'String', value: t.text ?? '', span: { start: t.start, end: t.end } };
    else {
      this.expected('expected a file path string after \'import\', e.g. import "blocks.dlm"');
      path = this.missing();
    }
    return { kind: 'Import', path, span: this.spanFrom(start) };
  }

  private parseName(what: string): Ident {
    const t = this.eat('ident');
    if (t) return this.identOf(t);
    this.expected(`expected ${what}`);
    return this.missingIdent();
  }

  private parseModel(): ModelItem {
    const index = this.pos;
    const doc = this.docBefore(index);
    const frozenTok = this.eat('frozen');
    const start = frozenTok?.start ?? this.peek().start;
    this.next(); // 'model'
    const name = this.parseName("a model name after 'model'");
    const label = `model ${name.name}`;
    let inputs: TensorParam[] = [];
    let outputs: TensorParam[] = [];
    let ok = true;
    if (this.at('(')) {
      this.next();
      inputs = this.parseParamGroup(`the input list of ${label}`).map((e) => this.toTensorParam(e));
    } else {
      this.expected(`expected '(' to start the input list of ${label}`);
      ok = false;
    }
    if (ok && this.at('->')) outputs = this.parseOutputs(label);
    const body = this.parseItemBody(label, 'tensor');
    return {
      kind: 'Model',
      ...(doc ? { doc } : {}),
      ...(frozenTok ? { frozen: { start: frozenTok.start, end: frozenTok.end } } : {}),
      name,
      inputs,
      outputs,
      body,
      span: this.spanFrom(start),
    };
  }

  private parseBlock(): BlockItem {
    const index = this.pos;
    const doc = this.docBefore(index);
    const start = this.next().start;
    const name = this.parseName("a block name after 'block'");
    const label = `block ${name.name}`;
    let params: BlockParam[] = [];
    let inputs: TensorParam[] = [];
    let outputs: TensorParam[] = [];
    let ok = true;
    if (this.at('(')) {
      this.next();
      const first = this.parseParamGroup(`the first parameter list of ${label}`);
      if (this.at('(')) {
        this.next();
        const second = this.parseParamGroup(`the input list of ${label}`);
        params = first.map((e) => this.toBlockParam(e));
        inputs = second.map((e) => this.toTensorParam(e));
      } else {
        // With one group, it is the input list (a block without parameters).
        inputs = first.map((e) => this.toTensorParam(e));
      }
    } else {
      this.expected(`expected '(' to start the input list of ${label}`);
      ok = false;
    }
    if (ok && this.at('->')) outputs = this.parseOutputs(label);
    const body = this.parseItemBody(label, 'tensor');
    return {
      kind: 'Block',
      ...(doc ? { doc } : {}),
      name,
      params,
      inputs,
      outputs,
      body,
      span: this.spanFrom(start),
    };
  }

  private parseData(): DataItem {
    const doc = this.docBefore(this.pos);
    const start = this.next().start;
    const name = this.parseName("a data name after 'data'");
    let value: Expr;
    if (this.eat('='))
      value = this.parseExprOr(`expected a dataset after '=', e.g. Spiral(points=600)`);
    else {
      this.expected(`expected '=' after 'data ${name.name}'`);
      value = this.missing();
    }
    return {
      kind: 'Data',
      ...(doc ? { doc } : {}),
      name,
      value,
      span: this.spanFrom(start),
    };
  }

  private parseTrain(): TrainItem {
    const start = this.next().start;
    const model = this.parseName("the name of the model to train after 'train'");
    const body = this.parseItemBody(`train ${model.name}`, 'train');
    return { kind: 'Train', model, body, span: this.spanFrom(start) };
  }

  /**
   * The `{ ... }` body of an item. If the header is broken, skips to its `{`; if the `{` is
   * missing altogether, parses statements up to `}` or the next item anyway.
   */
  private parseItemBody(label: string, kind: BodyKind): Body {
    if (!this.at('{')) {
      const t = this.peek();
      this.expected(`expected '{' to start the body of ${label}`);
      if (!t.newlineBefore && !this.atEof()) {
        // Garbage in the header: skip to the '{' on this item, if any.
        while (!this.atEof() && !this.at('{') && !this.at('}') && !this.atItemStart()) {
          if (this.peek().newlineBefore && this.canStartStmt()) break;
          this.next();
        }
        if (this.at('{')) return this.parseBraceBody(label, kind);
      }
      if (this.atEof() || this.atItemStart()) return { kind: 'Body', stmts: [], span: this.here() };
      // No '{': read the statements that follow, up to '}' or the next item.
      const start = this.peek().start;
      const stmts = this.parseStmts(label, kind, false);
      return { kind: 'Body', stmts, span: this.spanFrom(start) };
    }
    return this.parseBraceBody(label, kind);
  }

  private parseBraceBody(label: string, kind: BodyKind): Body {
    const start = this.next().start; // '{'
    if (!this.enter()) {
      this.skipBalancedBraces();
      return { kind: 'Body', stmts: [], span: this.spanFrom(start) };
    }
    const stmts = this.parseStmts(label, kind, true);
    this.leave();
    return { kind: 'Body', stmts, span: this.spanFrom(start) };
  }

  /** After an over-deep '{': skip to its matching '}'. */
  private skipBalancedBraces(): void {
    let depth = 1;
    while (!this.atEof() && depth > 0) {
      const t = this.next();
      if (t.kind === '{') depth++;
      else if (t.kind === '}') depth--;
    }
  }

  // ---------------------------------------------------------------- parameter lists

  private parseParamGroup(what: string): RawParam[] {
    return this.parseList(')', what, () => this.parseRawParam(what)).items;
  }

  private parseRawParam(what: string): RawParam | undefined {
    const t = this.peek();
    if (t.kind !== 'ident') {
      this.expected(`expected a name in ${what}, found ${describeToken(t)}`);
      return undefined;
    }
    const name = this.identOf(this.next());
    let type: Ident | undefined;
    let shape: ListExpr | undefined;
    let dflt: Expr | undefined;
    if (this.eat(':')) {
      if (this.at('ident')) type = this.identOf(this.next());
      // `x: int[B, T]`: an element type before a shape.
      if (this.at('[')) shape = this.parseShape();
      else if (!type)
        this.expected(
          `expected a type (int, float, bool, string) or a shape like [B, C] after '${name.name}:'`,
        );
    }
    if (this.eat('=')) dflt = this.parseExprOr(`expected a default value after '='`);
    return { name, type, shape, default: dflt, span: this.spanFrom(name.span.start) };
  }

  private toTensorParam(p: RawParam): TensorParam {
    let dtype: Ident | undefined;
    if (p.type && !p.shape)
      this.report(
        p.type.span,
        `expected a shape like [B, C] for input '${p.name.name}', found a type`,
      );
    else if (p.type && p.type.name !== 'int' && p.type.name !== 'float')
      this.report(
        p.type.span,
        `a tensor's element type is int (ids, e.g. ${p.name.name}: int[B, T]) or float, not '${p.type.name}'`,
      );
    else dtype = p.type;
    if (p.default)
      this.report(p.default.span, `input '${p.name.name}' cannot have a default value`);
    return {
      name: p.name,
      ...(dtype ? { dtype } : {}),
      ...(p.shape ? { shape: p.shape } : {}),
      span: p.span,
    };
  }

  private toBlockParam(p: RawParam): BlockParam {
    if (p.shape) {
      this.report(
        p.shape.span,
        `expected a parameter type (int, float, bool or string) for '${p.name.name}'`,
      );
    }
    return {
      name: p.name,
      ...(p.type ? { type: p.type } : {}),
      ...(p.default ? { default: p.default } : {}),
      span: p.span,
    };
  }

  private parseShape(): ListExpr {
    const open = this.next(); // '['
    const items = this.parseList(']', 'the shape', () => this.parseListExpr()).items;
    return { kind: 'List', items, span: this.spanFrom(open.start) };
  }

  /** `-> [B, 10]`, `-> (recon: [B, 784], mu: [B, 20])` or `-> ([B, 1], [B, 2])`. */
  private parseOutputs(label: string): TensorParam[] {
    this.next(); // '->'
    if (this.at('[')) {
      const shape = this.parseShape();
      return [{ name: this.unnamed(shape.span.start), shape, span: shape.span }];
    }
    if (this.at('(')) {
      this.next();
      const what = `the output list of ${label}`;
      return this.parseList(')', what, () => this.parseOutput(what)).items;
    }
    this.expected(`expected an output shape such as [B, 10] after '->'`);
    return [];
  }

  private unnamed(at: number): Ident {
    return { kind: 'Ident', name: '', span: { start: at, end: at } };
  }

  private parseOutput(what: string): TensorParam | undefined {
    const t = this.peek();
    if (t.kind === '[') {
      const shape = this.parseShape();
      return { name: this.unnamed(shape.span.start), shape, span: shape.span };
    }
    if (t.kind === 'ident') {
      const name = this.identOf(this.next());
      if (this.eat(':')) {
        if (this.at('[')) {
          const shape = this.parseShape();
          return { name, shape, span: this.spanFrom(name.span.start) };
        }
        this.expected(`expected a shape like [B, 10] after '${name.name}:'`);
      }
      return { name, span: name.span };
    }
    this.expected(`expected an output shape such as [B, 10] in ${what}, found ${describeToken(t)}`);
    return undefined;
  }

  // ---------------------------------------------------------------- generic delimited lists

  /**
   * Items separated by ',' up to `close` (the opener is already consumed). Trailing commas are
   * allowed. On a missing closer, reports "expected ')' to close <what>" and stops without
   * consuming, so the enclosing construct continues (e.g. `Dense(10 |> ReLU`).
   */
  private parseList<T>(
    close: ')' | ']',
    what: string | (() => string),
    parseItem: () => T | undefined,
  ): { items: T[]; trailingComma: boolean; closed: boolean } {
    const items: T[] = [];
    let trailingComma = false;
    for (;;) {
      const t = this.peek();
      if (t.kind === close) {
        this.next();
        return { items, trailingComma, closed: true };
      }
      if (this.isListStop(close)) {
        this.missingClose(close, what);
        return { items, trailingComma, closed: false };
      }
      const before = this.pos;
      const errs = this.errors.length;
      const item = parseItem();
      if (item !== undefined) items.push(item);
      trailingComma = false;
      if (this.pos === before || this.errors.length > errs) {
        // Skip the rest of this element: to the next ',' or the closer at this nesting level.
        this.skipListElement(close);
        if (this.eat(',')) trailingComma = true;
        continue;
      }
      const u = this.peek();
      if (u.kind === ',') {
        this.next();
        trailingComma = true;
        continue;
      }
      if (u.kind === close) continue;
      if (u.newlineBefore || this.isListStop(close)) {
        this.missingClose(close, what);
        return { items, trailingComma, closed: false };
      }
      this.report(
        { start: u.start, end: u.end },
        `expected ',' or '${close}' in ${text(what)}, found ${describeToken(u)}`,
      );
      this.skipListElement(close);
      if (this.eat(',')) trailingComma = true;
    }
  }

  /** Tokens that end a list even without its closer (the enclosing construct takes over). */
  private isListStop(close: ')' | ']'): boolean {
    const t = this.peek();
    switch (t.kind) {
      case 'eof':
      case '}':
      case ';':
      case '|>':
        return true;
      case ')':
        return close === ']';
      case ']':
        return close === ')';
      case '{':
      case '->':
        return true;
      default:
        return ITEM_KEYWORDS.has(t.kind) && t.newlineBefore && this.peek(1).kind !== '=';
    }
  }

  private missingClose(close: ')' | ']', what: string | (() => string)): void {
    const t = this.peek();
    if (t.kind === 'eof' || t.newlineBefore) {
      this.report(this.here(), `expected '${close}' to close ${text(what)}`);
    } else {
      this.report(
        { start: t.start, end: t.end },
        `expected '${close}' to close ${text(what)}, found ${describeToken(t)}`,
      );
    }
  }

  private skipListElement(close: ')' | ']'): void {
    let depth = 0;
    for (;;) {
      const t = this.peek();
      if (t.kind === 'eof') return;
      if (depth === 0 && (t.kind === ',' || t.kind === close || this.isListStop(close))) {
        return;
      }
      if (t.kind === '(' || t.kind === '[') depth++;
      else if ((t.kind === ')' || t.kind === ']') && depth > 0) depth--;
      else if (t.kind === '}' || t.kind === '{') return;
      this.next();
    }
  }

  // ---------------------------------------------------------------- statements

  private canStartStmt(): boolean {
    const k = this.peek().kind;
    return (
      k === 'ident' || k === '(' || k === 'layer' || k === 'frozen' || k === 'if' || k === 'return'
    );
  }

  /** Statements up to '}' (consumed when `braced`), the next item, or the end of the file. */
  private parseStmts(label: string, kind: BodyKind, braced: boolean): Stmt[] {
    const stmts: Stmt[] = [];
    for (;;) {
      const t = this.peek();
      if (t.kind === '}') {
        this.next();
        return stmts;
      }
      if (t.kind === 'eof' || this.atItemStart()) {
        if (braced) this.expected(`expected '}' to close the body of ${label}`);
        return stmts;
      }
      if (t.kind === ';') {
        this.next();
        continue;
      }
      const before = this.pos;
      const errs = this.errors.length;
      const stmt = kind === 'train' ? this.parseSetting() : this.parseStmt();
      if (stmt) stmts.push(stmt);
      if (this.pos === before) {
        // Nothing could be read: report (if not yet) and skip to the next statement.
        if (this.errors.length === errs) {
          this.report(
            { start: t.start, end: t.end },
            t.kind === '|>'
              ? "expected a statement: a line starting with '|>' must continue a pipeline"
              : kind === 'train'
                ? `expected a setting such as 'epochs = 10', found ${describeToken(t)}`
                : `expected a statement, found ${describeToken(t)}`,
          );
        }
        this.next();
        this.syncStmt();
        continue;
      }
      if (this.atStmtBoundary()) continue;
      if (this.errors.length === errs) {
        const u = this.peek();
        this.report(
          { start: u.start, end: u.end },
          `unexpected ${describeToken(u)}: expected a new line or ';' after the statement`,
        );
      }
      this.syncStmt();
    }
  }

  private atStmtBoundary(): boolean {
    const t = this.peek();
    return (
      t.newlineBefore || t.kind === ';' || t.kind === '}' || t.kind === 'eof' || this.atItemStart()
    );
  }

  /**
   * Skips to the next statement boundary: a token on a new line (other than a `|>` line, which
   * continues the broken statement), ';', the closing '}', or an item keyword. Braces nest.
   */
  private syncStmt(): void {
    let depth = 0;
    for (;;) {
      const t = this.peek();
      if (t.kind === 'eof' || (this.atItemStart() && t.newlineBefore)) return;
      if (depth === 0) {
        if (t.kind === '}' || t.kind === ';') return;
        if (t.newlineBefore && t.kind !== '|>') return;
      }
      if (t.kind === '{') depth++;
      else if (t.kind === '}') depth--;
      this.next();
    }
  }

  private parseStmt(): Stmt | undefined {
    const t = this.peek();
    switch (t.kind) {
      case 'layer':
        return this.parseLayerDecl();
      case 'frozen':
        if (this.peek(1).kind === 'layer') {
          const kw = this.next();
          return this.parseLayerDecl({ start: kw.start, end: kw.end });
        }
        this.report(
          { start: t.start, end: t.end },
          "'frozen' marks a stage (x |> frozen Conv2d(8, 3)), a layer declaration (frozen layer enc = Dense(64)) or a model (frozen model Base(…)); it cannot start this statement",
        );
        this.next();
        this.syncStmt();
        return undefined;
      case 'if':
        return this.parseIf();
      case 'return':
        return this.parseReturn();
      case 'ident':
        if (t.text === 'weights' && this.peek(1).kind === 'ident' && this.peek(1).text === 'from')
          return this.parseWeights();
        if (t.text === 'param' && this.peek(1).kind === 'ident') return this.parseParamDecl();
        if (this.peek(1).kind === '=') {
          const name = this.identOf(this.next());
          this.next(); // '='
          const value = this.parsePipeline(`expected a value after '${name.name} ='`);
          return { kind: 'Bind', name, value, span: this.spanFrom(name.span.start) };
        }
        return this.parseExprStmt();
      case '(': {
        const n = this.tuplePatternAhead();
        if (n > 0) return this.parseBindTuple(n);
        return this.parseExprStmt();
      }
      default:
        return undefined;
    }
  }

  /**
   * The token count of a tuple binding's name list (`(out, (h, c))`) when the statement starts
   * with one followed by `=`, else 0. Only names, commas and balanced parentheses.
   */
  private tuplePatternAhead(): number {
    let depth = 0;
    for (let k = 0; k < 512; k++) {
      const t = this.peek(k);
      if (t.kind === '(') depth++;
      else if (t.kind === ')') {
        if (--depth === 0) return this.peek(k + 1).kind === '=' ? k + 1 : 0;
      } else if (t.kind !== 'ident' && t.kind !== ',') return 0;
    }
    return 0;
  }

  private parseBindTuple(tokens: number): Stmt {
    const start = this.peek().start;
    const names: Ident[] = [];
    for (let k = 0; k < tokens; k++) {
      const t = this.next();
      if (t.kind === 'ident') names.push(this.identOf(t));
    }
    const pattern = this.spanFrom(start);
    this.next(); // '='
    const shown = names.map((n) => n.name).join(', ');
    const value = this.parsePipeline(`expected a value after '(${shown}) ='`);
    return { kind: 'BindTuple', names, pattern, value, span: this.spanFrom(start) };
  }

  private parseExprStmt(): Stmt {
    const value = this.parsePipeline('expected a statement');
    return { kind: 'ExprStmt', value, span: value.span };
  }

  private parseSetting(): Stmt | undefined {
    const t = this.peek();
    const isKey = t.kind === 'ident' || KEYWORD_KINDS.has(t.kind);
    if (!isKey || this.peek(1).kind !== '=') {
      if (isKey && t.kind === 'ident') {
        this.next();
        this.expected(`expected '=' after '${t.text ?? ''}' in the train settings`);
      }
      return undefined;
    }
    const key = this.identOf(this.next());
    this.next(); // '='
    const value = this.parseExprOr(`expected a value after '${key.name} ='`);
    return { kind: 'Setting', key, value, span: this.spanFrom(t.start) };
  }

  /** `weights from "file" { "a." -> "b.", … }` (the mapping is optional). */
  private parseWeights(): WeightsStmt {
    const start = this.next().start; // 'weights'
    this.next(); // 'from'
    const keywordSpan = { start, end: this.lastEnd };
    let path: StringLit | MissingExpr;
    const t = this.eat('string');
    if (t) path = { kind: 'String', value: t.text ?? '', span: { start: t.start, end: t.end } };
    else {
      this.expected(
        'expected a file path string after \'weights from\', e.g. weights from "base.safetensors"',
      );
      path = this.missing();
    }
    const map: WeightsMapping[] = [];
    if (this.at('{') && !this.peek().newlineBefore) {
      this.next();
      for (;;) {
        const u = this.peek();
        if (u.kind === '}') {
          this.next();
          break;
        }
        if (u.kind === ',' || u.kind === ';') {
          this.next();
          continue;
        }
        if (u.kind === 'eof' || this.atItemStart()) {
          this.expected("expected '}' to close the weight-name mapping");
          break;
        }
        if (u.kind !== 'string') {
          this.report(
            { start: u.start, end: u.end },
            `expected a name mapping such as "features." -> "base.", found ${describeToken(u)}`,
          );
          this.next();
          continue;
        }
        this.next();
        const from: StringLit = {
          kind: 'String',
          value: u.text ?? '',
          span: { start: u.start, end: u.end },
        };
        let to: StringLit | MissingExpr;
        if (this.eat('->')) {
          const v = this.eat('string');
          if (v) to = { kind: 'String', value: v.text ?? '', span: { start: v.start, end: v.end } };
          else {
            this.expected(
              `expected the new name prefix (a string) after ${JSON.stringify(from.value)} ->`,
            );
            to = this.missing();
          }
        } else {
          this.expected(
            `expected '->' after ${JSON.stringify(from.value)}, e.g. "features." -> "base."`,
          );
          to = this.missing();
        }
        map.push({ from, to, span: this.spanFrom(u.start) });
      }
    }
    return { kind: 'Weights', keywordSpan, path, map, span: this.spanFrom(start) };
  }

  private parseLayerDecl(frozen?: Span): LayerDeclStmt {
    const start = frozen?.start ?? this.peek().start;
    this.next(); // 'layer'
    const name = this.parseName("a layer name after 'layer', e.g. layer enc = Dense(64)");
    let value: LayerStage;
    if (name.name !== '' && this.eat('=')) {
      const t = this.peek();
      if (t.kind === 'ident') value = this.parseLayerStage();
      else {
        this.expected(`expected a layer such as Dense(64) after '${name.name} ='`);
        value = { kind: 'Layer', callee: this.missingIdent(), span: this.here() };
      }
    } else {
      if (name.name !== '') this.expected(`expected '=' after 'layer ${name.name}'`);
      value = { kind: 'Layer', callee: this.missingIdent(), span: this.here() };
    }
    return {
      kind: 'LayerDecl',
      ...(frozen ? { frozen } : {}),
      name,
      value,
      span: this.spanFrom(start),
    };
  }

  /** `param name = Parameter(shape, …)`: a learned tensor (the `param` token is an ident). */
  private parseParamDecl(): ParamDeclStmt {
    const start = this.next().start;
    const name = this.parseName(
      "a tensor name after 'param', e.g. param cls = Parameter([1, 1, 64])",
    );
    let value: LayerStage;
    if (name.name !== '' && this.eat('=')) {
      if (this.peek().kind === 'ident') value = this.parseLayerStage();
      else {
        this.expected(`expected Parameter([...]) after 'param ${name.name} ='`);
        value = { kind: 'Layer', callee: this.missingIdent(), span: this.here() };
      }
    } else {
      if (name.name !== '') this.expected(`expected '=' after 'param ${name.name}'`);
      value = { kind: 'Layer', callee: this.missingIdent(), span: this.here() };
    }
    return { kind: 'ParamDecl', name, value, span: this.spanFrom(start) };
  }

  private parseIf(): IfStmt {
    const start = this.next().start; // 'if'
    if (!this.enter()) {
      const body: Body = { kind: 'Body', stmts: [], span: this.here() };
      return { kind: 'If', cond: this.missing(), then: body, span: this.spanFrom(start) };
    }
    const cond = this.parseExprOr("expected a condition after 'if'");
    const then = this.parseCondBody("'if'");
    let els: Body | IfStmt | undefined;
    if (this.eat('else')) {
      if (this.at('if')) els = this.parseIf();
      else els = this.parseCondBody("'else'");
    }
    this.leave();
    return {
      kind: 'If',
      cond,
      then,
      ...(els ? { else: els } : {}),
      span: this.spanFrom(start),
    };
  }

  private parseCondBody(after: string): Body {
    if (this.at('{')) return this.parseBraceBody(`the ${after} branch`, 'tensor');
    this.expected(`expected '{' after ${after}`);
    return { kind: 'Body', stmts: [], span: this.here() };
  }

  private parseReturn(): ReturnStmt {
    const start = this.next().start;
    const values: Pipeline[] = [];
    if (!this.canStartPipeline()) {
      this.expected("expected a value after 'return'");
    } else {
      for (;;) {
        const before = this.pos;
        values.push(this.parsePipeline("expected a value after 'return'"));
        if (this.pos === before || !this.eat(',')) break;
      }
    }
    return { kind: 'Return', values, span: this.spanFrom(start) };
  }

  // ---------------------------------------------------------------- pipelines

  private canStartPipeline(): boolean {
    const k = this.peek().kind;
    return k === 'ident' || k === '(';
  }

  private parsePipeline(missingMessage: string): Pipeline {
    let start = this.peek().start;
    if (!this.enter()) {
      return { kind: 'Pipeline', source: this.missing(), stages: [], span: this.here() };
    }
    let source: PipelineSource;
    const stages: Stage[] = [];
    const t = this.peek();
    if (t.kind === 'ident') {
      this.next();
      source = { kind: 'Name', name: t.text ?? '', span: { start: t.start, end: t.end } };
    } else if (t.kind === '(') {
      const open = this.next();
      const list = this.parseList(')', 'the tuple', () =>
        this.canStartPipeline() ? this.parsePipeline('expected a tensor') : this.noPipeline(),
      );
      if (list.items.length === 1 && !list.trailingComma) {
        // `(p)` is the pipeline p itself; further stages extend it.
        const inner = list.items[0]!;
        source = inner.source;
        for (const s of inner.stages) stages.push(s);
      } else {
        if (list.items.length === 0 && list.closed) {
          this.report(this.spanFrom(open.start), "expected a tensor name inside '( )'");
        }
        source = { kind: 'SourceTuple', items: list.items, span: this.spanFrom(open.start) };
      }
    } else {
      this.expected(
        t.kind === '|>'
          ? "expected a tensor name before '|>'"
          : `${missingMessage}, found ${describeToken(t)}`,
      );
      source = this.missing();
      start = source.span.start; // the hole is where the pipeline begins
    }
    while (this.at('|>')) {
      this.next();
      const u = this.peek();
      if (u.kind === 'ident' && u.newlineBefore && this.peek(1).kind === '=') {
        // `h = x |>` followed by a binding on the next line: the stage is missing.
        this.expected("expected a stage after '|>'");
        stages.push({ kind: 'MissingStage', span: this.here() });
        break;
      }
      stages.push(this.parseStageOr("expected a stage after '|>'"));
    }
    this.leave();
    return { kind: 'Pipeline', source, stages, span: this.spanFrom(start) };
  }

  private noPipeline(): undefined {
    this.expected(`expected a tensor name or a pipeline, found ${describeToken(this.peek())}`);
    return undefined;
  }

  private parseStageOr(message: string): Stage {
    const s = this.parseStage();
    if (s) return s;
    this.expected(message);
    return { kind: 'MissingStage', span: this.here() };
  }

  private parseStage(): Stage | undefined {
    const t = this.peek();
    if (t.kind === 'frozen') {
      this.next();
      const kw = { start: t.start, end: t.end };
      const inner = this.parseStageOr(
        "expected a stage to freeze after 'frozen', e.g. frozen Conv2d(8, 3) or frozen (Conv2d(8, 3) |> BatchNorm2d)",
      );
      if (inner.kind === 'MissingStage') return inner;
      if (inner.frozen) {
        this.report(inner.frozen, "'frozen' is written twice");
        return inner;
      }
      return { ...inner, frozen: kw };
    }
    if (t.kind === 'ident') return this.parseLayerStage();
    if (t.kind !== 'repeat' && t.kind !== '(') return undefined;
    if (!this.enter()) {
      this.next();
      return { kind: 'MissingStage', span: this.spanFrom(t.start) };
    }
    let stage: Stage;
    if (t.kind === 'repeat') {
      this.next();
      const count = this.parseExprOr("expected a count after 'repeat', e.g. repeat 3 Dense(64)", {
        calls: false,
      });
      const body = this.parseStageOr(
        `expected a stage to repeat after 'repeat ${this.countText(count)}'`,
      );
      stage = { kind: 'Repeat', count, body, span: this.spanFrom(t.start) };
    } else {
      this.next(); // '('
      const stages: Stage[] = [this.parseStageOr("expected a stage after '('")];
      while (this.at('|>')) {
        this.next();
        stages.push(this.parseStageOr("expected a stage after '|>'"));
      }
      if (!this.eat(')')) {
        this.expected("expected ')' to close the stage group");
      }
      stage = { kind: 'Group', stages, span: this.spanFrom(t.start) };
    }
    this.leave();
    return stage;
  }

  private countText(e: Expr): string {
    return e.kind === 'Missing' ? 'N' : this.text.slice(e.span.start, e.span.end);
  }

  private parseLayerStage(): LayerStage {
    const t = this.next(); // ident
    const callee = this.identOf(t);
    const p = this.peek();
    if (p.kind === '(' && !p.newlineBefore) {
      const { args, argsSpan } = this.parseArgs(callee.name);
      return { kind: 'Layer', callee, args, argsSpan, span: this.spanFrom(t.start) };
    }
    return { kind: 'Layer', callee, span: callee.span };
  }

  // ---------------------------------------------------------------- arguments and expressions

  private parseArgs(callee: string): { args: Arg[]; argsSpan: Span } {
    const open = this.next(); // '('
    const what = (): string => `the argument list of ${callee || 'the call'}`;
    const list = this.parseList(')', what, () => this.parseArg());
    return { args: list.items, argsSpan: this.spanFrom(open.start) };
  }

  private parseArg(): Arg | undefined {
    const t = this.peek();
    if (t.kind === 'ident' && this.peek(1).kind === '=') {
      const name = this.identOf(this.next());
      this.next(); // '='
      const value = this.parseExprOr(`expected a value after '${name.name}='`);
      return { name, value, span: this.spanFrom(t.start) };
    }
    const value = this.parseExpr();
    if (!value) {
      this.expected(`expected an argument, found ${describeToken(t)}`);
      return undefined;
    }
    return { value, span: value.span };
  }

  private parseListExpr(): Expr | undefined {
    const e = this.parseExpr();
    if (!e) this.expected(`expected an expression, found ${describeToken(this.peek())}`);
    return e;
  }

  private parseExprOr(message: string, opts: ExprOpts = DEFAULT_OPTS): Expr {
    const e = this.parseExpr(0, opts);
    if (e) return e;
    const t = this.peek();
    this.expected(
      t.kind === 'eof' || t.newlineBefore ? message : `${message}, found ${describeToken(t)}`,
    );
    return this.missing();
  }

  /** Pratt loop. Returns undefined (consuming nothing) when no expression starts here. */
  private parseExpr(minBp = 0, opts: ExprOpts = DEFAULT_OPTS): Expr | undefined {
    if (!this.enter()) return undefined;
    let left = this.parsePrefix(opts);
    if (left) {
      let operators = 0;
      for (;;) {
        const t = this.peek();
        const lbp = INFIX[t.kind];
        if (lbp === undefined || lbp < minBp) break;
        this.next();
        const op = t.kind as BinaryOp;
        const right = this.parseExpr(lbp + 1, opts) ?? this.missingAfter(op);
        if (++operators > MAX_EXPR_OPERATORS) {
          // Read the rest of the chain flat, then stand a Missing node in for the whole of it.
          let end = right.span.end;
          for (;;) {
            const u = this.peek();
            const bp = INFIX[u.kind];
            if (bp === undefined || bp < minBp) break;
            this.next();
            end = (this.parseExpr(bp + 1, opts) ?? this.missingAfter(u.kind)).span.end;
          }
          const span = { start: left.span.start, end };
          this.report(
            span,
            `this expression chains more than ${MAX_EXPR_OPERATORS} operators; write the value directly`,
            'DLM034',
          );
          left = { kind: 'Missing', span };
          break;
        }
        left = {
          kind: 'Binary',
          op,
          opSpan: { start: t.start, end: t.end },
          left,
          right,
          span: { start: left.span.start, end: Math.max(right.span.end, t.end) },
        };
      }
    }
    this.leave();
    return left;
  }

  private missingAfter(op: string): MissingExpr {
    this.expected(`expected an expression after '${op}'`);
    return this.missing();
  }

  private parsePrefix(opts: ExprOpts): Expr | undefined {
    const t = this.peek();
    switch (t.kind) {
      case 'number':
        this.next();
        return {
          kind: 'Number',
          value: t.value ?? 0,
          isInt: t.isInt ?? true,
          text: t.text ?? '',
          span: { start: t.start, end: t.end },
        };
      case 'string':
        this.next();
        return { kind: 'String', value: t.text ?? '', span: { start: t.start, end: t.end } };
      case 'true':
      case 'false':
        this.next();
        return { kind: 'Bool', value: t.kind === 'true', span: { start: t.start, end: t.end } };
      case 'ident': {
        this.next();
        const p = this.peek();
        if (opts.calls && p.kind === '(' && !p.newlineBefore) {
          const callee = this.identOf(t);
          const { args, argsSpan } = this.parseArgs(callee.name);
          const call: CallExpr = {
            kind: 'Call',
            callee,
            args,
            argsSpan,
            span: this.spanFrom(t.start),
          };
          return call;
        }
        return { kind: 'Name', name: t.text ?? '', span: { start: t.start, end: t.end } };
      }
      case '-':
      case '+':
      case 'not': {
        this.next();
        const operand =
          this.parseExpr(t.kind === 'not' ? NOT_OPERAND_BP : UNARY_OPERAND_BP, opts) ??
          this.missingAfter(t.kind);
        return { kind: 'Unary', op: t.kind, operand, span: this.spanFrom(t.start) };
      }
      case '(': {
        const open = this.next();
        const list = this.parseList(')', 'the parenthesized expression', () =>
          this.parseListExpr(),
        );
        if (list.items.length === 1 && !list.trailingComma) return list.items[0]!;
        return { kind: 'Tuple', items: list.items, span: this.spanFrom(open.start) };
      }
      case '[': {
        const open = this.next();
        const list = this.parseList(']', 'the list', () => this.parseListExpr());
        return { kind: 'List', items: list.items, span: this.spanFrom(open.start) };
      }
      default:
        return undefined;
    }
  }
}

function text(what: string | (() => string)): string {
  return typeof what === 'string' ? what : what();
}

interface ExprOpts {
  /** `name(` starts a call. Off for `repeat` counts, where `repeat n (A |> B)` is a group. */
  readonly calls: boolean;
}
const DEFAULT_OPTS: ExprOpts = { calls: true };

/** A parameter before we know whether its list holds block parameters or tensor inputs. */
interface RawParam extends Node {
  readonly name: Ident;
  readonly type: Ident | undefined;
  readonly shape: ListExpr | undefined;
  readonly default: Expr | undefined;
}

// ---------------------------------------------------------------- traversal

/** Every node of the tree, plus the file itself as the root. Kind-less nodes: Arg, TensorParam, BlockParam, DocComment. */
export type AstNode =
  | SourceFile
  | Item
  | Stmt
  | Expr
  | Stage
  | Pipeline
  | PipelineSource
  | Body
  | Ident
  | Arg
  | TensorParam
  | BlockParam
  | DocComment;

/** Properties that hold non-child data with a `span` (errors, comments) or plain spans. */
const NON_CHILD_KEYS: ReadonlySet<string> = new Set([
  'span',
  'argsSpan',
  'opSpan',
  'errors',
  'comments',
  'text',
  'uri',
]);

function isNode(v: unknown): v is AstNode {
  return typeof v === 'object' && v !== null && 'span' in v;
}

/** Calls `visit` for each direct child of `node`, in source order. */
export function forEachChild(node: AstNode, visit: (child: AstNode) => void): void {
  const rec = node as unknown as Record<string, unknown>;
  for (const key in rec) {
    if (NON_CHILD_KEYS.has(key)) continue;
    const v = rec[key];
    if (Array.isArray(v)) {
      for (const c of v) if (isNode(c)) visit(c);
    } else if (isNode(v)) visit(v);
  }
}

/**
 * Pre-order walk (iterative, so deep trees cannot overflow the stack). Return `false` from
 * `visit` to skip a node's children.
 */
export function walk(
  root: AstNode,
  visit: (node: AstNode, parent: AstNode | undefined) => boolean | void,
): void {
  const stack: { node: AstNode; parent: AstNode | undefined }[] = [
    { node: root, parent: undefined },
  ];
  const children: AstNode[] = [];
  while (stack.length > 0) {
    const { node, parent } = stack.pop()!;
    if (visit(node, parent) === false) continue;
    children.length = 0;
    forEachChild(node, (c) => children.push(c));
    for (let i = children.length - 1; i >= 0; i--) stack.push({ node: children[i]!, parent: node });
  }
}

export function nodeSpan(node: AstNode): Span {
  return 'kind' in node && node.kind === 'File' ? { start: 0, end: node.text.length } : node.span;
}

/**
 * The path from the file down to the innermost node whose span contains `offset` (end-inclusive,
 * so the cursor right after `Dense` is on `Dense`). When two siblings touch at the offset, the
 * one that strictly contains it wins, else the first. The first element is always the file.
 */
export function nodeAt(file: SourceFile, offset: number): AstNode[] {
  const path: AstNode[] = [file];
  let cur: AstNode = file;
  for (;;) {
    let best: AstNode | undefined;
    let bestStrict = false;
    forEachChild(cur, (c) => {
      const s = nodeSpan(c);
      if (s.start > offset || offset > s.end) return;
      const strict = s.start <= offset && offset < s.end;
      if (!best || (strict && !bestStrict)) {
        best = c;
        bestStrict = strict;
      }
    });
    if (!best) return path;
    path.push(best);
    cur = best;
  }
}
