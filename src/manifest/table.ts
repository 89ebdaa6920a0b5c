/**
 * The rule tables that read a manifest. A table has one rule per Kubernetes field of an object, typed against
 * `kubernetes-types` so that the compiler asks for every field: a handler, `ignored` (accepted with a warning) or
 * `unsupported` (an error). Handlers read shapes and types into a draft of the PodSpec; the rules of the values are
 * validatePodSpec's (src/spec/spec.ts), whose problems land on the lines the fields came from (Field.origin, mirror).
 * Supporting a Kubernetes field is a handler in its table, plus its value rule in spec.ts.
 */
import type { Field } from './field.js';

export type Handler<D> = (field: Field, draft: D) => void;
export type Rule<D> = Handler<D> | { ignored: string } | { unsupported: string };
/** One rule per Kubernetes field of `K` (all of them, checked by the compiler), plus newer fields by name. */
export type Table<K, D> = { readonly [Key in keyof Required<K>]: Rule<D> } & { readonly [newer: string]: Rule<D> };

/** A draft of one PodSpec object (a container, a port): what the handlers of its table fill in. */
export interface Draft<S> {
  spec: Partial<S>;
}

/** A value and the field it was read from, for a check that needs the field's line after the whole pod is read. */
export interface Valued<T> {
  value: T;
  field: Field;
}

export const ignored = (why: string) => ({ ignored: why });
export const unsupported = (hint = 'nspod does not implement it yet: remove it to run this pod with nspod') => ({ unsupported: hint });
export const UNSUPPORTED = unsupported();
export const ONE_HOST = ignored('has no effect on a single host');
export const NO_SCHEDULER = ignored('there is no scheduler on a single host');
export const NO_ACCOUNTS = ignored('there are no service accounts here');
export const SERVER_SET = ignored('set by the API server');
/** The rules of an object's metadata besides its name, labels and annotations: the same for every kind. */
export const OTHER_METADATA = {
  namespace: ignored('a single host has no namespaces'),
  generateName: unsupported('give metadata.name'),
  uid: SERVER_SET,
  creationTimestamp: SERVER_SET,
  deletionTimestamp: SERVER_SET,
  deletionGracePeriodSeconds: SERVER_SET,
  generation: SERVER_SET,
  resourceVersion: SERVER_SET,
  selfLink: SERVER_SET,
  managedFields: SERVER_SET,
  ownerReferences: ignored('there are no controllers here'),
  finalizers: ignored('there is no API server here'),
} as const;

/** A field nspod cannot change from its Kubernetes default: the default is accepted, anything else is not supported. */
export function onlyDefault<D>(defaultValue: string | boolean): Handler<D> {
  return (field) => {
    const value = field.scalar(JSON.stringify(defaultValue));
    if (value !== defaultValue) field.fail(`${JSON.stringify(value)} is not supported (only ${JSON.stringify(defaultValue)})`);
  };
}

/** Applies a table to a map field: each entry goes to its rule; an unknown key is an error. */
export function applyTable<D>(field: Field, table: Table<unknown, D>, draft: D): void {
  for (const entry of field.entries()) {
    const rule = Object.hasOwn(table, entry.key) ? table[entry.key] : undefined;
    if (rule === undefined) return entry.fail('unknown field', `known fields here: ${Object.keys(table).join(', ')}`);
    if (entry.isNull) continue;
    if (typeof rule === 'function') rule(entry, draft);
    else if ('ignored' in rule) entry.warn(`ignored: ${rule.ignored}`);
    else entry.fail('not supported', rule.unsupported);
  }
}

/** Reads a map field through `table`, from `initial` on; each of `required` must be there. */
export function readObject<S>(
  field: Field,
  table: Table<unknown, Draft<S>>,
  required: readonly (keyof S & string)[] = [],
  initial: Partial<S> = {},
): S {
  const draft: Draft<S> = { spec: { ...initial } };
  applyTable(field, table, draft);
  for (const key of required) if (draft.spec[key] === undefined) field.require(key);
  return draft.spec as S;
}

/** Reads a list of maps, each through `table`; each of `required` must be in every one. */
export function readList<S>(field: Field, table: Table<unknown, Draft<S>>, required: readonly (keyof S & string)[] = []): Valued<S>[] {
  return field.items().map((item) => ({ value: readObject(item, table, required), field: item }));
}

/** The readers of a field's type. */
export const read = {
  string: (f: Field): string => f.string(),
  boolean: (f: Field): boolean => f.boolean(),
  integer: (f: Field): number => f.integer(),
  strings: (f: Field): string[] => f.stringList(),
};

/**
 * `copier<ContainerSpec>()` gives `copy(key, reader)`: a handler that stores the field's value, as `reader` reads its
 * type, as `key` of the draft's PodSpec object. Its value is checked once the pod is read, by validatePodSpec.
 */
export function copier<S>() {
  return <K extends keyof S>(key: K, reader: (f: Field) => S[K]): Handler<Draft<S>> =>
    (f, d) => {
      d.spec[key] = reader(f);
    };
}
