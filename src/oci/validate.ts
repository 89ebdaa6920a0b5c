/**
 * The runtime-spec schema check of every config.json nspod writes. The validator is ajv's standalone code for
 * config-schema.json (draft-04, every error, not strict), compiled from the installed schemas by scripts/gen-types.mjs
 * at build time: no process loads ajv or compiles the schema when it starts.
 */
import { NspodError } from '../errors.js';
import { validateConfig } from './config-validator.generated.js';
import type { Spec } from './spec.js';

/** Schema errors of a config, as `path: message` lines; empty when it is valid. */
export function specErrors(spec: unknown): string[] {
  if (validateConfig(spec)) return [];
  return (validateConfig.errors ?? []).map((e) => `${e.instancePath || '/'}: ${e.message ?? 'invalid'}`);
}

/** Throws INVALID_SPEC naming the first problems when a config does not match the runtime-spec schema. */
export function assertValidSpec(spec: Spec, what: string): void {
  const errors = specErrors(spec);
  if (errors.length > 0) {
    throw new NspodError('INVALID_SPEC', `${what}: config.json does not match the runtime-spec schema: ${errors.slice(0, 3).join('; ')}`, {
      hint: "this is a bug in nspod's config builder; please report it with the pod spec",
    });
  }
}
