/**
 * A cursor over one YAML node of a manifest: its Kubernetes field path, its line, and typed
 * readers whose errors say `<file>: <path> (line N): <why>`.
 */
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import { NspodError } from '../errors.js';

/** Where a PodSpec field came from in the manifest. */
export interface Origin {
  path: string;
  line: number;
}

export interface ManifestContext {
  file: string | undefined;
  lines: LineCounter;
  document: Document;
  warnings: string[];
  /** PodSpec field path (`containers[0].image`) → its manifest field, to place validatePodSpec's errors. */
  origins: Map<string, Origin>;
}

export function manifestError(file: string | undefined, where: string, why: string, hint?: string): NspodError {
  const message = file === undefined ? `${where}: ${why}` : `${file}: ${where}: ${why}`;
  return new NspodError('INVALID_SPEC', message, hint === undefined ? {} : { hint });
}

export class Field {
  readonly node: Node | null;

  constructor(
    readonly ctx: ManifestContext,
    /** The Kubernetes field path: `spec.containers[1].livenessProbe`. */
    readonly path: string,
    node: unknown,
    /** The line of the field's key (or of the list item), 1-based. */
    readonly line: number,
    /** The key this field has in its parent map. */
    readonly key = '',
  ) {
    this.node = resolveAlias(ctx.document, node);
  }

  get where(): string {
    return this.path === '' ? `line ${this.line}` : `${this.path} (line ${this.line})`;
  }

  fail(why: string, hint?: string): never {
    throw manifestError(this.ctx.file, this.where, why, hint);
  }

  warn(why: string): void {
    const where = this.ctx.file === undefined ? this.where : `${this.ctx.file}: ${this.where}`;
    this.ctx.warnings.push(`${where}: ${why}`);
  }

  /** Records that PodSpec field `specPath` comes from this manifest field. */
  origin(specPath: string): this {
    this.ctx.origins.set(specPath, { path: this.path, line: this.line });
    return this;
  }

  /** A YAML `~`, `null` or an empty value: Kubernetes reads it as an absent field. */
  get isNull(): boolean {
    return this.node === null || (isScalar(this.node) && this.node.value === null);
  }

  get isMap(): boolean {
    return isMap(this.node);
  }

  /** The plain value of a scalar (string, number, boolean), failing on maps and lists. */
  scalar(expected: string): unknown {
    if (!isScalar(this.node)) this.fail(`must be ${expected}, not a ${isMap(this.node) ? 'map' : 'list'}`);
    return this.node.value;
  }

  string(): string {
    const value = this.scalar('a string');
    if (typeof value !== 'string') this.fail(`must be a string, not ${describe(value)}`, `quote it: "${String(value)}"`);
    return value;
  }

  boolean(): boolean {
    const value = this.scalar('true or false');
    if (typeof value !== 'boolean') this.fail(`must be true or false, not ${describe(value)}`);
    return value;
  }

  integer(min: number, max = Number.MAX_SAFE_INTEGER): number {
    const value = this.scalar('an integer');
    if (typeof value !== 'number' || !Number.isInteger(value)) this.fail(`must be an integer, not ${describe(value)}`);
    if (value < min || value > max)
      this.fail(
        max === Number.MAX_SAFE_INTEGER ? `must be >= ${min} (it is ${value})` : `must be between ${min} and ${max} (it is ${value})`,
      );
    return value;
  }

  /** The entries of a map, in order, each a Field named by its key. */
  entries(): Field[] {
    if (!isMap(this.node)) this.fail(`must be a map, not ${this.kind()}`);
    return this.node.items.map((pair) => {
      const key = isScalar(pair.key) ? pair.key.value : undefined;
      const keyLine = this.lineOf(pair.key) ?? this.line;
      if (typeof key !== 'string')
        throw manifestError(this.ctx.file, `${this.path} (line ${keyLine})`, `keys must be strings, not ${describe(key)}`);
      const line = keyLine;
      return new Field(this.ctx, joinPath(this.path, key), pair.value, line, key);
    });
  }

  /** The items of a list, in order, each a Field named `path[i]`. */
  items(): Field[] {
    if (!isSeq(this.node)) this.fail(`must be a list, not ${this.kind()}`);
    return this.node.items.map((item, i) => new Field(this.ctx, `${this.path}[${i}]`, item, this.lineOf(item) ?? this.line, String(i)));
  }

  stringList(): string[] {
    return this.items().map((item) => item.string());
  }

  /** A map of string to string (labels, annotations). */
  stringMap(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const entry of this.entries()) out[entry.key] = entry.isNull ? '' : entry.string();
    return out;
  }

  /** A child by key, or undefined when absent or null. */
  get(key: string): Field | undefined {
    return this.entries().find((e) => e.key === key && !e.isNull);
  }

  /** A field that must be present: fails on this (the parent) when it is not. */
  require(key: string): Field {
    const child = this.get(key);
    if (child === undefined) throw manifestError(this.ctx.file, `${joinPath(this.path, key)} (line ${this.line})`, 'is required');
    return child;
  }

  private kind(): string {
    if (isMap(this.node)) return 'a map';
    if (isSeq(this.node)) return 'a list';
    return describe(isScalar(this.node) ? this.node.value : null);
  }

  private lineOf(node: unknown): number | undefined {
    const range = (node as Node | null)?.range;
    return range ? this.ctx.lines.linePos(range[0]).line : undefined;
  }
}

function resolveAlias(document: Document, node: unknown): Node | null {
  if (isAlias(node)) return (node.resolve(document) as Node | undefined) ?? null;
  return (node as Node | null | undefined) ?? null;
}

function joinPath(parent: string, key: string): string {
  const segment = /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? key : JSON.stringify(key);
  if (parent === '') return segment;
  return /^[A-Za-z_]/.test(segment) ? `${parent}.${segment}` : `${parent}[${segment}]`;
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  return `${typeof value} ${String(value)}`;
}
