/**
 * Kubernetes' `$(VAR)` references, as the kubelet expands them in env values, command, args and subPathExpr:
 * `$(NAME)` becomes the value of NAME when `lookup` knows it and stays as written when it does not; `$$` is one `$`
 * (so `$$(NAME)` is the text `$(NAME)`); any other `$`, and a `$(` with no `)` after it, are left as they are.
 */
export function expandReferences(input: string, lookup: (name: string) => string | undefined): string {
  let out = '';
  let i = 0;
  while (i < input.length) {
    const dollar = input.indexOf('$', i);
    // A `$` as the last character is plain text.
    if (dollar < 0 || dollar === input.length - 1) return out + input.slice(i);
    out += input.slice(i, dollar);
    const next = input[dollar + 1];
    if (next === '$') {
      out += '$';
      i = dollar + 2;
      continue;
    }
    const close = next === '(' ? input.indexOf(')', dollar + 2) : -1;
    if (close < 0) {
      // Not a reference: the `$` and the character after it are text, and scanning goes on after them.
      out += `$${next}`;
      i = dollar + 2;
      continue;
    }
    const name = input.slice(dollar + 2, close);
    out += lookup(name) ?? `$(${name})`;
    i = close + 1;
  }
  return out;
}

/** A lookup over a map of names to values. */
export function lookupIn(values: ReadonlyMap<string, string> | Readonly<Record<string, string>>): (name: string) => string | undefined {
  if (values instanceof Map) return (name) => values.get(name);
  const record = values as Readonly<Record<string, string>>;
  return (name) => (Object.hasOwn(record, name) ? record[name] : undefined);
}
