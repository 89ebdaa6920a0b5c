import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import AjvDraft04 from 'ajv-draft-04';
import type { ValidateFunction } from 'ajv';
import { NspodError } from '../errors.js';
import { assets } from '../paths.js';
import type { Spec } from './spec.js';

let validator: ValidateFunction | undefined;

/** Compiles the runtime-spec config schema once per process (the schemas setup installed). */
function configValidator(schemaDir = assets.runtimeSpecSchemas): ValidateFunction {
  if (validator) return validator;
  let files: string[];
  try {
    files = readdirSync(schemaDir).filter((f) => f.endsWith('.json'));
  } catch {
    throw new NspodError('INTERNAL', `no runtime-spec schemas in ${schemaDir}`, { hint: 'run scripts/setup' });
  }
  const ajv = new AjvDraft04.default({ allErrors: true, strict: false });
  for (const file of files) {
    const schema = JSON.parse(readFileSync(path.join(schemaDir, file), 'utf8')) as object;
    ajv.addSchema(schema, file);
  }
  const compiled = ajv.getSchema('config-schema.json');
  if (!compiled) throw new NspodError('INTERNAL', `config-schema.json missing from ${schemaDir}`, { hint: 'run scripts/setup' });
  validator = compiled;
  return compiled;
}

/** Schema errors of a config, as `path: message` lines; empty when it is valid. */
export function specErrors(spec: unknown): string[] {
  const validate = configValidator();
  if (validate(spec)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'}: ${e.message ?? 'invalid'}`);
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
