import test from 'ava';
import { buildPauseSpec } from '../../src/oci/pause.js';
import { pauseSeccomp, runtimeDefaultProfile, seccompSection, type LinuxSeccomp, type ProfileFile } from '../../src/oci/seccomp.js';
import { buildSiblingSpec, containerCapabilities } from '../../src/oci/sibling.js';
import { pauseNamespacePaths } from '../../src/oci/spec.js';
import { specErrors } from '../../src/oci/validate.js';
import { effectiveSeccomp } from '../../src/spec/security.js';
import { podSpecProblems, type ContainerSpec } from '../../src/spec/spec.js';

const host = { arch: 'amd64', kernel: [6, 1] as const };
const defaults = containerCapabilities({});
const section = (capabilities: readonly string[], h: { arch: string; kernel: readonly [number, number] } = host): LinuxSeccomp =>
  seccompSection(runtimeDefaultProfile(), { ...h, capabilities })!;

/** The names a section allows outright (without an argument filter). */
const allowed = (s: LinuxSeccomp) => new Set(s.syscalls?.filter((r) => r.action === 'SCMP_ACT_ALLOW' && !r.args).flatMap((r) => r.names));

test("RuntimeDefault is Docker's default profile: EPERM by default, this host's architectures, no namespace or keyring calls", (t) => {
  const s = section(defaults);
  t.is(s.defaultAction, 'SCMP_ACT_ERRNO');
  t.deepEqual(s.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
  const names = allowed(s);
  for (const name of ['read', 'write', 'openat', 'execve']) t.true(names.has(name), name);
  t.true(names.has('arch_prctl'), 'an amd64 rule');
  t.false(names.has('s390_runtime_instr'), 'an s390 rule');
  t.true(names.has('ptrace'), 'ptrace from kernel 4.8 on');
  for (const name of ['unshare', 'setns', 'mount', 'umount2', 'keyctl', 'add_key', 'request_key', 'bpf', 'clone', 'reboot', 'init_module'])
    t.false(names.has(name), name);
  // clone only without namespace flags (Docker's masked argument rule), personality only with its listed values.
  const clone = s.syscalls?.find((r) => r.names.includes('clone'));
  t.deepEqual(clone?.args, [{ index: 0, value: 2114060288, op: 'SCMP_CMP_MASKED_EQ' }]);
  t.true(s.syscalls!.filter((r) => r.names.includes('personality')).every((r) => r.args?.length === 1));
  t.deepEqual(specErrors(buildPauseSpec({ hostname: 'h', cgroupsPath: '/x', nofileHardLimit: 1024 })), []);
});

test('RuntimeDefault denies io_uring, as Docker and containerd do since', (t) => {
  const names = allowed(section(defaults));
  for (const name of ['io_uring_setup', 'io_uring_enter', 'io_uring_register']) t.false(names.has(name), name);
});

test("a container's capabilities unlock what Docker unlocks with them", (t) => {
  const admin = allowed(section([...defaults, 'CAP_SYS_ADMIN']));
  for (const name of ['unshare', 'setns', 'mount', 'umount2', 'bpf', 'clone']) t.true(admin.has(name), name);
  t.false(admin.has('reboot'));
  t.true(allowed(section([...defaults, 'CAP_SYS_BOOT'])).has('reboot'));
  t.true(allowed(section([...defaults, 'CAP_SYS_PTRACE'])).has('process_vm_readv'));
  // The masked clone rule is excluded when SYS_ADMIN allows every clone.
  t.false(section([...defaults, 'CAP_SYS_ADMIN']).syscalls!.some((r) => r.names.includes('clone') && r.args));
  // And the defaults miss what only other capabilities give.
  t.false(allowed(section(defaults)).has('process_vm_readv'));
});

test('architecture and kernel filters: arm64 gets its own rules, an old kernel no ptrace', (t) => {
  const arm = section(defaults, { arch: 'arm64', kernel: [6, 1] });
  t.deepEqual(arm.architectures, ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
  t.true(allowed(arm).has('arm_fadvise64_64'));
  t.false(allowed(arm).has('arch_prctl'));
  t.false(allowed(section(defaults, { arch: 'amd64', kernel: [4, 4] })).has('ptrace'));
});

test('a Localhost-style profile converts as written; one with nothing in it filters nothing', (t) => {
  const profile: ProfileFile = {
    defaultAction: 'SCMP_ACT_ALLOW',
    architectures: ['SCMP_ARCH_X86_64'],
    syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }],
  };
  t.deepEqual(seccompSection(profile, { ...host, capabilities: [] }), {
    defaultAction: 'SCMP_ACT_ALLOW',
    architectures: ['SCMP_ARCH_X86_64'],
    syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }],
  });
  t.is(seccompSection({}, { ...host, capabilities: [] }), undefined);
  t.throws(() =>
    seccompSection(
      { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ name: 'a', names: ['b'], action: 'SCMP_ACT_ALLOW' }] },
      { ...host, capabilities: [] },
    ),
  );
});

const pause = pauseNamespacePaths(4242);
const sibling = (c: ContainerSpec, profile: ProfileFile | null = runtimeDefaultProfile()) =>
  buildSiblingSpec({
    pod: { name: 'p', hostname: 'p', cgroup: 'p-1' },
    container: c,
    env: {},
    pause,
    rootfs: '/r',
    nofileHardLimit: 1024,
    seccomp: profile ? { profile, host } : undefined,
  });

test('a sibling gets its filter for its own capabilities; privileged runs unconfined; allowPrivilegeEscalation: false sets no_new_privs', (t) => {
  const plain = sibling({ name: 'c', image: 'busybox', command: ['true'] });
  t.deepEqual(specErrors(plain), []);
  t.false(plain.process?.noNewPrivileges);
  t.false(allowed(plain.linux!.seccomp!).has('unshare'));
  const admin = sibling({ name: 'c', image: 'busybox', command: ['true'], capabilities: { add: ['SYS_ADMIN'] } });
  t.true(allowed(admin.linux!.seccomp!).has('unshare'));
  t.is(sibling({ name: 'c', image: 'busybox', command: ['true'], privileged: true }).linux?.seccomp, undefined);
  t.is(sibling({ name: 'c', image: 'busybox', command: ['true'] }, null).linux?.seccomp, undefined);
  t.true(sibling({ name: 'c', image: 'busybox', command: ['true'], allowPrivilegeEscalation: false }).process?.noNewPrivileges);
});

test("the pause's own filter allows its few calls and nothing else", (t) => {
  const s = pauseSeccomp('x64');
  t.is(s.defaultAction, 'SCMP_ACT_ERRNO');
  t.deepEqual(s.architectures, ['SCMP_ARCH_X86_64']);
  const names = allowed(s);
  for (const name of ['pause', 'rt_sigaction', 'wait4', 'write', 'exit_group', 'execve']) t.true(names.has(name), name);
  for (const name of ['unshare', 'mount', 'socket', 'clone', 'ptrace', 'keyctl']) t.false(names.has(name), name);
});

test("the container's profile wins over the pod's; RuntimeDefault when neither names one", (t) => {
  t.deepEqual(effectiveSeccomp({}, {}), { type: 'RuntimeDefault' });
  t.deepEqual(effectiveSeccomp({ seccompProfile: { type: 'Unconfined' } }, {}), { type: 'Unconfined' });
  t.deepEqual(effectiveSeccomp({ seccompProfile: { type: 'Unconfined' } }, { seccompProfile: { type: 'RuntimeDefault' } }), {
    type: 'RuntimeDefault',
  });
});

test('the typed API states the seccomp and privilege escalation rules with field paths', (t) => {
  const problems = podSpecProblems({
    name: 'p',
    seccompProfile: { type: 'Localhost', localhostProfile: '/etc/x.json' },
    containers: [
      { name: 'a', image: 'busybox', command: ['true'], seccompProfile: { type: 'Localhost' } },
      { name: 'b', image: 'busybox', command: ['true'], allowPrivilegeEscalation: false, privileged: true },
      { name: 'c', image: 'busybox', command: ['true'], allowPrivilegeEscalation: false, capabilities: { add: ['CAP_SYS_ADMIN'] } },
    ],
  }).map((p) => p.field);
  t.deepEqual(problems, [
    'seccompProfile.localhostProfile',
    'containers[0].seccompProfile.localhostProfile',
    'containers[1].allowPrivilegeEscalation',
    'containers[2].allowPrivilegeEscalation',
  ]);
});
