/** Kubernetes manifests (one or more YAML documents): Pods and workloads → PodSpecs; ConfigMaps and Secrets → objects to store. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { LineCounter, parseAllDocuments } from 'yaml';
import { NspodError } from '../errors.js';
import { pathSegments } from '../spec/names.js';
import { podSpecProblems, type PodSpec } from '../spec/spec.js';
import { configObjectProblems, type ConfigMapObject, type ConfigObject, type SecretObject } from '../spec/config.js';
import { Field, manifestError, manifestMessage, type ManifestContext, type Origin } from './field.js';
import { readDocument } from './kinds.js';

export interface ParseManifestOptions {
  /** The file name that prefixes every error and warning. */
  file?: string | undefined;
}

export interface ParsedManifest {
  /** One PodSpec per Pod or workload document, in order, each already checked by validatePodSpec. */
  pods: PodSpec[];
  /** The ConfigMap and Secret documents, in order, each checked: what `nspod run` stores before it creates the pods. */
  configMaps: ConfigMapObject[];
  secrets: SecretObject[];
  /** Accepted fields that change nothing here, one line each: `<file>: <path> (line N): ignored: <why>`. */
  warnings: string[];
}

export interface LoadedManifest extends ParsedManifest {
  file: string;
  /** The manifest's directory: relative image paths are resolved against it (`Pod.create(spec, { cwd: baseDir })`). */
  baseDir: string;
}

/**
 * Parses Kubernetes documents: `v1` Pod, ConfigMap and Secret, `apps/v1` Deployment, ReplicaSet, StatefulSet and
 * DaemonSet, `batch/v1` Job (their pod templates, one pod each); other kinds are skipped with a warning. Throws an NspodError `INVALID_SPEC` whose
 * message is `<file>: <field path> (line N): <why>` on anything it cannot honour: the first shape or type
 * error, or else every value problem of validatePodSpec, the topmost as the message (`problems` has them all).
 */
/** The largest document of a manifest nspod reads (the Kubernetes API server takes requests of at most about 3 MiB). */
export const MANIFEST_DOCUMENT_MAX = 1024 * 1024;

export function parseManifest(text: string, options: ParseManifestOptions = {}): ParsedManifest {
  const { file } = options;
  // Before parsing: a document of tens of MiB would cost its parse (a minute, GiBs of memory) only to be refused later.
  let line = 1;
  for (const part of text.split(/^---/m)) {
    const bytes = Buffer.byteLength(part);
    if (bytes > MANIFEST_DOCUMENT_MAX)
      throw manifestError(file, `line ${line}`, `a document of ${bytes} bytes is over nspod's bound of ${MANIFEST_DOCUMENT_MAX} (1 MiB)`);
    line += part.split('\n').length - 1;
  }
  const lines = new LineCounter();
  const documents = parseAllDocuments(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  if (documents.length === 0)
    throw manifestError(file, 'line 1', 'the manifest is empty', 'expected a document with apiVersion: v1 and kind: Pod');
  const warnings: string[] = [];
  const pods: PodSpec[] = [];
  const objects: ConfigObject[] = [];
  const names = new Map<string, number>();
  for (const [i, document] of documents.entries()) {
    const startLine = lines.linePos(document.range[0]).line;
    const error = document.errors[0];
    if (error) throw manifestError(file, `line ${lines.linePos(error.pos[0]).line}`, `invalid YAML: ${error.message}`);
    for (const warning of document.warnings)
      warnings.push(manifestMessage(file, `line ${lines.linePos(warning.pos[0]).line}`, warning.message));
    const ctx: ManifestContext = { file, lines, document, warnings, origins: new Map() };
    const root = new Field(ctx, '', document.contents, startLine);
    if (root.isNull) {
      // `---` at the very end of a stream is a common habit of generators: tolerated there, an error elsewhere.
      if (i === documents.length - 1 && i > 0) continue;
      throw manifestError(
        file,
        `document ${i + 1} (line ${startLine})`,
        'is empty',
        'expected a document with apiVersion: v1 and kind: Pod',
      );
    }
    const read = readDocument(root);
    if ('skipped' in read) {
      root.get('kind')!.warn(read.skipped);
      continue;
    }
    const [kind, name] = 'pod' in read ? ['pod', read.pod.name] : [read.object.kind, read.object.name];
    if ('pod' in read) validateMapped(read.pod, ctx);
    else {
      const problem = configObjectProblems(read.object)[0];
      if (problem) throw manifestError(file, `document ${i + 1} (line ${startLine})`, `${read.object.kind} ${problem}`);
    }
    const nameField = 'pod' in read ? ctx.origins.get('name')! : root.require('metadata').require('name');
    const firstLine = names.get(`${kind}/${name}`);
    if (firstLine !== undefined) {
      const what = kind === 'pod' ? 'pod name' : `${kind} name`;
      throw manifestError(
        file,
        `${nameField.path} (line ${nameField.line})`,
        `duplicate ${what} ${JSON.stringify(name)} (first at line ${firstLine})`,
      );
    }
    names.set(`${kind}/${name}`, nameField.line);
    if ('pod' in read) pods.push(read.pod);
    else objects.push(read.object);
  }
  const configMaps = objects.filter((o): o is ConfigMapObject => o.kind === 'ConfigMap');
  const secrets = objects.filter((o): o is SecretObject => o.kind === 'Secret');
  return { pods, configMaps, secrets, warnings };
}

/** Reads and parses a manifest file; its name prefixes every message. */
export async function loadManifestFile(file: string): Promise<LoadedManifest> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new NspodError('INVALID_SPEC', `${file}: cannot read the manifest (${code ?? String(e)})`, {
      cause: e,
      hint: 'give the path of a Kubernetes v1 Pod YAML file',
    });
  }
  return { ...parseManifest(text, { file }), file, baseDir: path.dirname(path.resolve(file)) };
}

/**
 * validatePodSpec's problems, each placed on the manifest field its PodSpec field came from; throws the first one in
 * the manifest's order (the error's `problems` lists them all).
 */
function validateMapped(pod: PodSpec, ctx: ManifestContext): void {
  const placed = podSpecProblems(pod).map((problem) => {
    const { origin, rest } = nearestOrigin(ctx.origins, problem.field);
    const why = rest === '' ? problem.why : `${rest}: ${problem.why}`;
    const where = origin ? `${origin.path} (line ${origin.line})` : problem.field;
    return { message: manifestMessage(ctx.file, where, why), line: origin?.line ?? Infinity, hint: problem.hint };
  });
  const first = placed.sort((a, b) => a.line - b.line)[0];
  if (first === undefined) return;
  const problems = [...new Set(placed.map((p) => p.message))];
  throw new NspodError('INVALID_SPEC', first.message, { ...(first.hint === undefined ? {} : { hint: first.hint }), problems });
}

/** The origin of `specField` or of its nearest recorded parent, and the part of the path left over. */
function nearestOrigin(origins: Map<string, Origin>, specField: string): { origin: Origin | undefined; rest: string } {
  const segments = pathSegments(specField);
  for (let n = segments.length; n > 0; n--) {
    const origin = origins.get(segments.slice(0, n).join(''));
    if (origin) return { origin, rest: segments.slice(n).join('').replace(/^\./, '') };
  }
  return { origin: undefined, rest: specField };
}
