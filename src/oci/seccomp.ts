/**
 * Seccomp filters: a profile in Docker's format (Docker's default profile, which RuntimeDefault is, and the Localhost
 * profiles Kubernetes users write) → the OCI `linux.seccomp` section of one container, as Docker's and containerd's
 * loaders make it: rules kept or dropped by the container's bounding capabilities, the host's architecture and kernel
 * (`includes`/`excludes`), argument filters as written. The profiles are read here; the conversion is pure.
 */
import { readFileSync } from 'node:fs';
import { readFile, realpath } from 'node:fs/promises';
import { arch as processArch, release } from 'node:os';
import path from 'node:path';
import { NspodError } from '../errors.js';
import { packageRoot } from '../paths.js';
import { seccompName, type SeccompProfile } from '../spec/security.js';
import type { Spec } from './spec.js';

export type LinuxSeccomp = NonNullable<NonNullable<Spec['linux']>['seccomp']>;
type Syscall = NonNullable<LinuxSeccomp['syscalls']>[number];
type Arch = NonNullable<LinuxSeccomp['architectures']>[number];

/** When a rule of a profile applies: every cap in the bounding set, the host's arch among these, the kernel at least this. */
interface ProfileFilter {
  caps?: string[];
  arches?: string[];
  minKernel?: string;
}

/** One rule of a profile file. */
export interface ProfileSyscall {
  name?: string;
  names?: string[];
  action: Syscall['action'];
  errnoRet?: number;
  args?: Syscall['args'] | null;
  comment?: string;
  includes?: ProfileFilter;
  excludes?: ProfileFilter;
}

/** A seccomp profile file in Docker's format (an OCI-style one with `architectures` reads the same). */
export interface ProfileFile {
  defaultAction?: LinuxSeccomp['defaultAction'];
  defaultErrnoRet?: number;
  architectures?: Arch[];
  archMap?: { architecture: Arch; subArchitectures?: Arch[] | null }[];
  flags?: LinuxSeccomp['flags'];
  syscalls?: ProfileSyscall[] | null;
}

/** What a profile's rules are kept or dropped by. */
export interface SeccompTarget {
  /** The container's bounding set (`CAP_SYS_ADMIN`, ...). */
  capabilities: readonly string[];
  /** libseccomp's name of the host's architecture, as profiles' `arches` write it: amd64, arm64, x86, s390x, ... */
  arch: string;
  /** The host kernel's version and major revision (6.1 → [6, 1]). */
  kernel: readonly [number, number];
}

/** Node's process.arch → libseccomp's architecture name (profiles' `arches`) and its SCMP_ARCH_. */
const ARCHES: Record<string, { native: string; scmp: Arch }> = {
  x64: { native: 'amd64', scmp: 'SCMP_ARCH_X86_64' },
  ia32: { native: 'x86', scmp: 'SCMP_ARCH_X86' },
  arm64: { native: 'arm64', scmp: 'SCMP_ARCH_AARCH64' },
  arm: { native: 'arm', scmp: 'SCMP_ARCH_ARM' },
  s390x: { native: 's390x', scmp: 'SCMP_ARCH_S390X' },
  ppc64: { native: 'ppc64le', scmp: 'SCMP_ARCH_PPC64LE' },
  mips64el: { native: 'mipsel64', scmp: 'SCMP_ARCH_MIPSEL64' },
  mipsel: { native: 'mipsel', scmp: 'SCMP_ARCH_MIPSEL' },
  riscv64: { native: 'riscv64', scmp: 'SCMP_ARCH_RISCV64' },
};

/** This host as a profile's filters see it (the capabilities are each container's). */
export function seccompHost(): Omit<SeccompTarget, 'capabilities'> {
  const m = /^(\d+)\.(\d+)/.exec(release());
  return { arch: ARCHES[processArch()]?.native ?? processArch(), kernel: m ? [Number(m[1]), Number(m[2])] : [0, 0] };
}

function kernelAtLeast(kernel: readonly [number, number], min: string): boolean {
  const m = /^(\d+)\.(\d+)$/.exec(min);
  if (!m) throw new NspodError('PROFILE_INVALID', `seccomp profile: minKernel ${JSON.stringify(min)} is not <kernel>.<major>`);
  const [k, major] = [Number(m[1]), Number(m[2])];
  return kernel[0] > k || (kernel[0] === k && kernel[1] >= major);
}

/** Whether a rule applies to `target`, as Docker's setupSeccomp decides it. */
function applies(rule: ProfileSyscall, target: SeccompTarget): boolean {
  const ex = rule.excludes ?? {};
  if (ex.arches?.includes(target.arch)) return false;
  if (ex.caps?.some((c) => target.capabilities.includes(c))) return false;
  if (ex.minKernel && kernelAtLeast(target.kernel, ex.minKernel)) return false;
  const inc = rule.includes ?? {};
  if (inc.arches && inc.arches.length > 0 && !inc.arches.includes(target.arch)) return false;
  if (inc.caps?.some((c) => !target.capabilities.includes(c))) return false;
  if (inc.minKernel && !kernelAtLeast(target.kernel, inc.minKernel)) return false;
  return true;
}

/** A profile → the OCI section for `target`; undefined when it filters nothing (no default action and no rules). */
export function seccompSection(profile: ProfileFile, target: SeccompTarget): LinuxSeccomp | undefined {
  const rules = profile.syscalls ?? [];
  if (!profile.defaultAction && rules.length === 0) return undefined;
  if (!profile.defaultAction) throw new NspodError('PROFILE_INVALID', 'seccomp profile: defaultAction is missing');
  if (profile.architectures?.length && profile.archMap?.length)
    throw new NspodError('PROFILE_INVALID', "seccomp profile: give 'architectures' or 'archMap', not both");
  const out: LinuxSeccomp = { defaultAction: profile.defaultAction };
  if (profile.defaultErrnoRet !== undefined) out.defaultErrnoRet = profile.defaultErrnoRet;
  if (profile.flags?.length) out.flags = profile.flags;
  const scmp = Object.values(ARCHES).find((a) => a.native === target.arch)?.scmp;
  const mapped = profile.archMap?.find((a) => a.architecture === scmp);
  const architectures = profile.architectures?.length
    ? profile.architectures
    : mapped && [mapped.architecture, ...(mapped.subArchitectures ?? [])];
  if (architectures) out.architectures = architectures;
  const syscalls: Syscall[] = [];
  for (const rule of rules) {
    if (!applies(rule, target)) continue;
    if (rule.name && rule.names?.length) throw new NspodError('PROFILE_INVALID', "seccomp profile: a rule has 'name' or 'names', not both");
    const [first, ...rest] = rule.name ? [rule.name] : (rule.names ?? []);
    if (first === undefined) continue;
    const syscall: Syscall = { names: [first, ...rest], action: rule.action };
    if (rule.errnoRet !== undefined) syscall.errnoRet = rule.errnoRet;
    if (rule.args && rule.args.length > 0) syscall.args = rule.args;
    syscalls.push(syscall);
  }
  if (syscalls.length > 0) out.syscalls = syscalls;
  return out;
}

/**
 * The one change Docker (25.0) and containerd (1.7.13) made to the default profile since the version Debian ships:
 * io_uring is no longer allowed (its calls bypass the filter's view of what the process does).
 */
const RUNTIME_DEFAULT_DENIED = ['io_uring_setup', 'io_uring_enter', 'io_uring_register'];

/** Where scripts/setup installs Docker's default profile. */
export const DOCKER_DEFAULT_PROFILE = path.join(packageRoot, 'schemas', 'seccomp', 'docker-default.json');

let runtimeDefault: ProfileFile | undefined;

/** RuntimeDefault: Docker's default profile, read once per process, without io_uring. */
export function runtimeDefaultProfile(file = DOCKER_DEFAULT_PROFILE): ProfileFile {
  if (runtimeDefault && file === DOCKER_DEFAULT_PROFILE) return runtimeDefault;
  let profile: ProfileFile;
  try {
    profile = JSON.parse(readFileSync(file, 'utf8')) as ProfileFile;
  } catch (e) {
    throw new NspodError('PROFILE_INVALID', `cannot read the RuntimeDefault seccomp profile ${file}: ${(e as Error).message}`, {
      hint: "run scripts/setup (it installs Docker's default profile)",
    });
  }
  const syscalls = (profile.syscalls ?? []).flatMap((rule) => {
    if (rule.action !== 'SCMP_ACT_ALLOW' || !rule.names) return [rule];
    const names = rule.names.filter((n) => !RUNTIME_DEFAULT_DENIED.includes(n));
    return names.length > 0 ? [{ ...rule, names }] : [];
  });
  const out = { ...profile, syscalls };
  if (file === DOCKER_DEFAULT_PROFILE) runtimeDefault = out;
  return out;
}

/** The default root of Localhost profiles (Kubernetes' is the kubelet's <root-dir>/seccomp). */
export const DEFAULT_SECCOMP_ROOT = '/var/lib/nspod/seccomp';

/** The root of Localhost profiles: the option, else env NSPOD_SECCOMP_ROOT, else /var/lib/nspod/seccomp; absolute. */
export function resolveSeccompRoot(root?: string | undefined): string {
  return path.resolve(root ?? process.env.NSPOD_SECCOMP_ROOT ?? DEFAULT_SECCOMP_ROOT);
}

/**
 * The profile file of a container's choice: RuntimeDefault's, a Localhost file under `root` (read now: a container
 * started again reads it again, as the kubelet does), or undefined for Unconfined. A path that leaves the root, through
 * `..` or a symlink, is refused.
 */
export async function loadSeccompProfile(choice: SeccompProfile, root: string, container: string): Promise<ProfileFile | undefined> {
  if (choice.type === 'Unconfined') return undefined;
  if (choice.type === 'RuntimeDefault') return runtimeDefaultProfile();
  const what = `container ${container}: seccomp profile ${seccompName(choice)}`;
  const file = path.resolve(root, choice.localhostProfile ?? '');
  let real: string;
  let realRoot: string;
  try {
    [realRoot, real] = await Promise.all([realpath(root), realpath(file)]);
  } catch {
    throw new NspodError('PROFILE_INVALID', `${what}: no file ${file}`, {
      hint: `Localhost profiles are read from ${root} (option seccompRoot, env NSPOD_SECCOMP_ROOT)`,
    });
  }
  if (!real.startsWith(realRoot + path.sep))
    throw new NspodError('INVALID_SPEC', `${what}: ${file} leads to ${real}, outside the profile root ${realRoot}`, {
      hint: 'Localhost profiles must be files under the seccomp profile root',
    });
  let profile: unknown;
  try {
    profile = JSON.parse(await readFile(real, 'utf8'));
  } catch (e) {
    throw new NspodError('PROFILE_INVALID', `${what}: ${real} is not a JSON seccomp profile: ${(e as Error).message}`);
  }
  if (typeof profile !== 'object' || profile === null || Array.isArray(profile))
    throw new NspodError('PROFILE_INVALID', `${what}: ${real} is not a JSON object`);
  return profile as ProfileFile;
}

/**
 * The pause's own filter: what it calls (sigaction, pause, waitpid, write, exit) and what its start needs once the
 * runtime installed the filter: runc 1.1 installs it before it opens the exec fifo and closes its fds (reading
 * /proc/self/fd), then the libc's start-up; the Go runtime's threads live until execve replaces them.
 */
export const PAUSE_SYSCALLS: [string, ...string[]] = [
  // runc's init after the filter, up to execve
  'openat',
  'close',
  'fcntl',
  'fstatfs',
  'getdents64',
  'epoll_ctl',
  'futex',
  'nanosleep',
  'sched_yield',
  'sigaltstack',
  'execve',
  // musl's start-up
  'arch_prctl',
  'set_tid_address',
  // the pause itself
  'getpid',
  'rt_sigaction',
  'rt_sigprocmask',
  'rt_sigreturn',
  'pause',
  'wait4',
  'write',
  'exit',
  'exit_group',
];

/** The pause's `linux.seccomp`: those calls on the host's architecture, every other fails with EPERM. */
export function pauseSeccomp(arch: string = processArch()): LinuxSeccomp {
  const scmp = ARCHES[arch]?.scmp;
  return {
    defaultAction: 'SCMP_ACT_ERRNO',
    ...(scmp ? { architectures: [scmp] } : {}),
    syscalls: [{ names: PAUSE_SYSCALLS, action: 'SCMP_ACT_ALLOW' }],
  };
}
