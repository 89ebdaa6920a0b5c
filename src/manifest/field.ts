/**
 * A cursor over one YAML node of a manifest: its Kubernetes field path, its line, and typed
 * readers whose errors say `<file>: <path> (line N): <why>`.
 */
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import { NspodError } from '../errors.js';
import { fieldPath } from '../spec/names.js';
import { rangeProblem } from '../spec/spec.js';

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
  /** PodSpec field path (`containers[0].image`) → its manifest field, to place validatePodSpec's problems. */
  origins: Map<string, Origin>;
}

/** `<file>: <where>: <why>`, or `<where>: <why>` for text without a file name. */
export function manifestMessage(file: string | undefined, where: string, why: string): string {
  return file === undefined ? `${where}: ${why}` : `${file}: ${where}: ${why}`;
}

export function manifestError(file: string | undefined, where: string, why: string, hint?: string): NspodError {
  return new NspodError('INVALID_SPEC', manifestMessage(file, where, why), hint === undefined ? {} : { hint });
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
    this.ctx.warnings.push(manifestMessage(this.ctx.file, this.where, why));
  }

  /** Records that PodSpec field `specPath` comes from this manifest field. */
  origin(specPath: string): this {
    this.ctx.origins.set(specPath, { path: this.path, line: this.line });
    return this;
  }

  /**
   * Records that below `specPath` the PodSpec has this field's shape: every field under this one is the origin of its
   * namesake under `specPath` (`ports[0].hostPort` → `<specPath>.ports[0].hostPort`), unless `origin` named another.
   */
  mirror(specPath: string, ancestors = new Set<Node>()): this {
    // An alias may point at a node above it: a circle, walked once.
    if (this.node === null || ancestors.has(this.node)) return this;
    ancestors.add(this.node);
    for (const [key, child] of this.children()) {
      const childPath = typeof key === 'number' ? `${specPath}[${key}]` : fieldPath(specPath, key);
      if (!this.ctx.origins.has(childPath)) this.ctx.origins.set(childPath, { path: child.path, line: child.line });
      child.mirror(childPath, ancestors);
    }
    ancestors.delete(this.node);
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

  /** An integer; `min` and `max` only where a manifest must be refused before its PodSpec exists. */
  integer(min = Number.MIN_SAFE_INTEGER, max?: number): number {
    const value = this.scalar('an integer');
    if (typeof value !== 'number' || !Number.isInteger(value)) this.fail(`must be an integer, not ${describe(value)}`);
    const problem = rangeProblem(value, min, max);
    if (problem) this.fail(problem);
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
      return new Field(this.ctx, fieldPath(this.path, key), pair.value, keyLine, key);
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
    if (child === undefined) throw manifestError(this.ctx.file, `${fieldPath(this.path, key)} (line ${this.line})`, 'is required');
    return child;
  }

  /** Entries of a map (those with string keys) or items of a list; none for a scalar. */
  private children(): [string | number, Field][] {
    if (isSeq(this.node)) return this.items().map((item, i) => [i, item]);
    if (!isMap(this.node)) return [];
    return this.node.items.flatMap((pair): [string, Field][] => {
      if (!isScalar(pair.key) || typeof pair.key.value !== 'string') return [];
      const key = pair.key.value;
      return [[key, new Field(this.ctx, fieldPath(this.path, key), pair.value, this.lineOf(pair.key) ?? this.line, key)]];
    });
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

function describe(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  return `${typeof value} ${String(value)}`;
}
