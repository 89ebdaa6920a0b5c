/**
 * Pure parsing of `image:` references and of the bits of an OCI image that
 * decide what a container runs: reference kinds, host platform, users.
 */
import path from 'node:path';
import { NspodError } from '../errors.js';

/** The built-in toolbox: busybox-static, with a shell, httpd, wget and ps. */
export const TOOLBOX_IMAGE = 'busybox';

/** Where an image comes from, as written in a manifest. */
export type ImageSource =
  | { kind: 'toolbox' }
  /** A rootfs directory; when `registry` is set the reference also reads as a registry name (a missing dir means "pull"). */
  | { kind: 'dir'; path: string; registry?: string }
  | { kind: 'tar'; path: string }
  | { kind: 'oci'; path: string; tag?: string | undefined }
  | { kind: 'oci-archive'; path: string; tag?: string | undefined }
  /** Copied by skopeo into an OCI layout first: `source` is skopeo's source argument; `file` the local archive, if any. */
  | { kind: 'skopeo'; source: string; file?: string };

const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
/** Docker reference: [domain[:port]/]path[:tag][@sha256:hex]. */
const DOCKER_REFERENCE =
  /^(?:([a-zA-Z0-9.-]+(?::\d+)?)\/)?([a-z0-9]+(?:[._-]+[a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-]+[a-z0-9]+)*)*)(?::([A-Za-z0-9_][A-Za-z0-9._-]{0,127}))?(?:@(sha256:[a-f0-9]{64}))?$/;

/** Splits `PATH[:TAG]` the way skopeo does for oci: references: a trailing `:tag` without a slash is a tag. */
export function splitPathTag(rest: string): { path: string; tag?: string } {
  const colon = rest.lastIndexOf(':');
  if (colon > 0) {
    const tag = rest.slice(colon + 1);
    if (TAG.test(tag)) return { path: rest.slice(0, colon), tag };
  }
  return { path: rest };
}

/** True when a reference names a registry image: it has a tag or digest, or its first part is a domain. */
export function looksLikeRegistryReference(reference: string): boolean {
  const m = DOCKER_REFERENCE.exec(reference);
  if (!m) return false;
  const domain = m[1];
  const hasDomain = domain !== undefined && (domain.includes('.') || domain.includes(':') || domain === 'localhost');
  return hasDomain || m[3] !== undefined || m[4] !== undefined;
}

/** Classifies a reference; relative paths resolve against `cwd`. Pure: it never looks at the disk. */
export function parseImageReference(reference: string, cwd: string): ImageSource {
  if (reference.trim() === '')
    throw new NspodError('INVALID_SPEC', 'image reference is empty', {
      hint: 'give a rootfs directory, a tarball, oci:PATH[:TAG] or a registry reference',
    });
  if (reference === TOOLBOX_IMAGE) return { kind: 'toolbox' };
  const abs = (p: string) => path.resolve(cwd, p);
  const transport = /^([a-z-]+):(.*)$/.exec(reference);
  if (transport) {
    const [, name, rest = ''] = transport;
    switch (name) {
      case 'tar':
        return { kind: 'tar', path: abs(rest) };
      case 'oci': {
        const { path: p, tag } = splitPathTag(rest);
        return { kind: 'oci', path: abs(p), tag };
      }
      case 'oci-archive': {
        const { path: p, tag } = splitPathTag(rest);
        return { kind: 'oci-archive', path: abs(p), tag };
      }
      case 'docker-archive': {
        const { path: p } = splitArchiveReference(rest);
        return { kind: 'skopeo', source: `docker-archive:${abs(p)}${rest.slice(p.length)}`, file: abs(p) };
      }
      case 'docker':
        return { kind: 'skopeo', source: reference };
      case 'dir':
        return { kind: 'dir', path: abs(rest) };
      default:
        break; // `nginx:1.27` also matches: fall through to the registry check
    }
  }
  if (/\.(tar|tar\.gz|tgz)$/.test(reference)) return { kind: 'tar', path: abs(reference) };
  if (!reference.startsWith('/') && !reference.startsWith('.') && looksLikeRegistryReference(reference)) {
    return { kind: 'dir', path: abs(reference), registry: `docker://${reference}` };
  }
  return { kind: 'dir', path: abs(reference) };
}

/** `docker-archive:PATH[:REF|@INDEX]`: the path ends before a `:name:tag` or `@N` suffix. */
function splitArchiveReference(rest: string): { path: string } {
  const at = /@\d+$/.exec(rest);
  if (at) return { path: rest.slice(0, at.index) };
  const m = /^(.*?\.tar(?:\.gz)?)(?::.*)?$/.exec(rest);
  return { path: m?.[1] ?? rest };
}

/** Node's process.arch → the OCI/Go GOARCH name. */
export function ociArchitecture(nodeArch: string = process.arch): string {
  const map: Record<string, string> = {
    x64: 'amd64',
    ia32: '386',
    arm64: 'arm64',
    arm: 'arm',
    ppc64: 'ppc64le',
    s390x: 's390x',
    riscv64: 'riscv64',
    loong64: 'loong64',
    mips: 'mips',
    mipsel: 'mipsle',
  };
  return map[nodeArch] ?? nodeArch;
}

export interface Platform {
  os: string;
  architecture: string;
  variant?: string | undefined;
}

export function hostPlatform(): Platform {
  return { os: 'linux', architecture: ociArchitecture(), variant: process.arch === 'arm64' ? 'v8' : undefined };
}

/** Whether an index entry's platform runs here: same os and arch; a variant must match when both name one. */
export function platformMatches(candidate: Platform | undefined, host: Platform): boolean {
  if (!candidate) return false;
  if (candidate.os !== host.os || candidate.architecture !== host.architecture) return false;
  return !candidate.variant || !host.variant || candidate.variant === host.variant;
}
