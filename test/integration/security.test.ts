import test from 'ava';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { isNspodError } from '../../src/errors.js';
import { parseManifest } from '../../src/manifest/index.js';
import { Pod } from '../../src/pod/pod.js';
import type { PodSpec } from '../../src/spec/spec.js';
import { importImage } from '../../src/image/manage.js';
import { packageRoot } from '../../src/paths.js';
import { RUNTIME, eventually, stateRoot } from '../helpers/host.js';
import { nspod } from '../helpers/cli.js';
import { tempDir, toolboxImageArchive } from '../helpers/images.js';
import { assertNoLeftovers } from '../helpers/leftovers.js';
import { podName, sleeper, testPod } from '../helpers/pods.js';

/** `Key:\tvalue` lines of /proc/<pid>/status in a container (its PID 1 unless the pod shares one). */
async function procStatus(pod: Pod, container: string): Promise<Record<string, string>> {
  const r = await pod.exec(container, ['cat', '/proc/1/status']);
  return Object.fromEntries(r.stdout.split('\n').flatMap((l) => (/^(\w+):\s*(.*)$/.exec(l) ? [[RegExp.$1, RegExp.$2]] : [])));
}

/**
 * `uid=U gid=G groups=A,B` of a container's PID 1 (/proc/1/status), checked to be what `id` (names aside) says in an exec
 * into it: an exec runs as the container's user with all its groups, with runc and crun alike.
 */
async function idOf(pod: Pod, container: string): Promise<string> {
  const s = await procStatus(pod, container);
  const first = (v: string | undefined) => (v ?? '').split(/\s+/)[0];
  const groups = (s.Groups ?? '').trim().split(/\s+/).filter(Boolean).join(',');
  const line = `uid=${first(s.Uid)} gid=${first(s.Gid)} groups=${groups}`;
  const id = (await pod.exec(container, ['id'])).stdout.trim().replace(/\([^)]*\)/g, '');
  if (id !== line) throw new Error(`id in ${container} says ${id}, /proc/1/status ${line}`);
  return line;
}

/** pause/keyprobe run in a container (copied in: busybox has no keyctl): each keyring call's outcome, `name: ok|error`. */
async function keyprobe(pod: Pod, container: string): Promise<{ exitCode: number; lines: string[] }> {
  await pod.copyIn(container, '/tmp/keyprobe', { path: path.join(packageRoot, 'pause', 'build', 'keyprobe') }, { mode: 0o755 });
  const r = await pod.exec(container, ['/tmp/keyprobe']);
  return { exitCode: r.exitCode, lines: r.stdout.trim().split('\n') };
}

/** A manifest's one pod, named uniquely for this run. */
function manifestPod(yaml: string): PodSpec {
  const [spec] = parseManifest(yaml).pods;
  return { ...spec!, name: podName('sec') };
}

/** A private Localhost profile root holding `files`, removed when the test ends. */
async function profileRoot(t: import('ava').ExecutionContext, files: Record<string, object>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'nspod-seccomp-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  for (const [name, profile] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), JSON.stringify(profile));
  }
  return dir;
}

test('a container with no securityContext runs under RuntimeDefault: Seccomp 2, unshare -U and keyctl refused (EPERM); the pause has its own filter', async (t) => {
  const { pod } = await testPod(t, { containers: [sleeper('app')] });
  const status = await procStatus(pod, 'app');
  t.is(status.Seccomp, '2');
  t.is(status.NoNewPrivs, '0', 'allowPrivilegeEscalation defaults to true');
  const unshare = await pod.exec('app', ['unshare', '-U', 'true']);
  t.not(unshare.exitCode, 0);
  t.regex(unshare.stderr, /Operation not permitted/);
  // Docker's profile allows none of the keyring calls (CVE-2016-0728's class); its default action is EPERM.
  t.deepEqual(await keyprobe(pod, 'app'), {
    exitCode: 1,
    lines: ['keyctl: Operation not permitted', 'add_key: Operation not permitted', 'request_key: Operation not permitted'],
  });
  // The pause: a filter of its own, and no_new_privs.
  const pause = await readFile(`/proc/${pod.pausePid}/status`, 'utf8');
  t.regex(pause, /^Seccomp:\s+2$/m);
  t.regex(pause, /^NoNewPrivs:\s+1$/m);
});

test('seccompProfile Unconfined (pod level) runs without a filter: Seccomp 0, unshare -U and keyctl work', async (t) => {
  const { pod } = await testPod(t, { seccompProfile: { type: 'Unconfined' }, containers: [sleeper('app')] });
  t.is((await procStatus(pod, 'app')).Seccomp, '0');
  // Making a user namespace needs no capability: with no filter, the default set allows it.
  const unshare = await pod.exec('app', ['unshare', '-U', 'true']);
  t.is(unshare.exitCode, 0, unshare.stderr);
  t.deepEqual(await keyprobe(pod, 'app'), { exitCode: 0, lines: ['keyctl: ok', 'add_key: ok', 'request_key: ok'] });
});

test("a container's own profile wins over the pod's; SYS_ADMIN gets what Docker gives it (unshare)", async (t) => {
  const { pod } = await testPod(t, {
    seccompProfile: { type: 'Unconfined' },
    containers: [
      { ...sleeper('confined'), seccompProfile: { type: 'RuntimeDefault' } },
      { ...sleeper('admin'), seccompProfile: { type: 'RuntimeDefault' }, capabilities: { add: ['SYS_ADMIN'] } },
    ],
  });
  t.is((await procStatus(pod, 'confined')).Seccomp, '2');
  t.not((await pod.exec('confined', ['unshare', '-U', 'true'])).exitCode, 0);
  t.is((await procStatus(pod, 'admin')).Seccomp, '2');
  const unshare = await pod.exec('admin', ['unshare', '-U', 'true']);
  t.is(unshare.exitCode, 0, unshare.stderr);
});

test('the restricted Pod Security Standard pod runs: NoNewPrivs 1, Seccomp 2, no capabilities, uid 1000', async (t) => {
  const spec = manifestPod(`
apiVersion: v1
kind: Pod
metadata:
  name: restricted
spec:
  securityContext:
    runAsNonRoot: true
    runAsUser: 1000
    seccompProfile:
      type: RuntimeDefault
  containers:
  - name: app
    image: busybox
    command: ["sleep", "3600"]
    securityContext:
      allowPrivilegeEscalation: false
      capabilities:
        drop: ["ALL"]
`);
  const { pod } = await testPod(t, spec);
  const status = await procStatus(pod, 'app');
  t.is(status.NoNewPrivs, '1');
  t.is(status.Seccomp, '2');
  t.is(status.CapEff, '0000000000000000');
  t.is(status.CapPrm, '0000000000000000');
  t.regex(status.Uid ?? '', /^1000\s+1000\s+1000\s+1000$/);
});

test('a Localhost profile that denies mkdir: mkdir fails with EPERM, what it allows works', async (t) => {
  const seccompRoot = await profileRoot(t, {
    'profiles/no-mkdir.json': {
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }],
    },
  });
  const spec = manifestPod(`
apiVersion: v1
kind: Pod
metadata:
  name: no-mkdir
spec:
  containers:
  - name: app
    image: busybox
    command: ["sleep", "3600"]
    securityContext:
      seccompProfile:
        type: Localhost
        localhostProfile: profiles/no-mkdir.json
`);
  const { pod } = await testPod(t, spec, { seccompRoot });
  t.is((await procStatus(pod, 'app')).Seccomp, '2');
  const mkdirTry = await pod.exec('app', ['mkdir', '/tmp/x']);
  t.not(mkdirTry.exitCode, 0);
  t.regex(mkdirTry.stderr, /Operation not permitted/);
  t.is((await pod.exec('app', ['touch', '/tmp/y'])).exitCode, 0, 'what the profile allows works');
});

test('a Localhost profile that leads out of the profile root, or is missing, is refused at create; nothing is left', async (t) => {
  const seccompRoot = await profileRoot(t, {});
  const outside = await profileRoot(t, { 'elsewhere.json': { defaultAction: 'SCMP_ACT_ALLOW' } });
  await symlink(path.join(outside, 'elsewhere.json'), path.join(seccompRoot, 'escape.json'));
  const root = await stateRoot(t);
  for (const [file, code, message] of [
    ['escape.json', 'INVALID_SPEC', /outside the profile root/],
    ['missing.json', 'PROFILE_INVALID', /no file/],
  ] as const) {
    const name = podName('sec');
    const error = await t.throwsAsync(
      Pod.create(
        { name, containers: [{ ...sleeper('app'), seccompProfile: { type: 'Localhost', localhostProfile: file } }] },
        { runtime: RUNTIME, root, seccompRoot },
      ),
    );
    t.true(isNspodError(error, code), String(error));
    t.regex(error?.message ?? '', message);
    t.regex(error?.message ?? '', /container app/);
    await assertNoLeftovers(t, root, { pod: name });
  }
});

// The Kubernetes docs' security-context example (tasks/configure-pod-container/security-context), as written there.
const SECURITY_CONTEXT = `
apiVersion: v1
kind: Pod
metadata:
  name: security-context-demo
spec:
  securityContext:
    runAsUser: 1000
    runAsGroup: 3000
    fsGroup: 2000
    supplementalGroups: [4000]
  volumes:
  - name: sec-ctx-vol
    emptyDir: {}
  containers:
  - name: sec-ctx-demo
    image: busybox
    command: [ "sh", "-c", "sleep 1h" ]
    volumeMounts:
    - name: sec-ctx-vol
      mountPath: /data/demo
    securityContext:
      allowPrivilegeEscalation: false
`;

test("the docs' security-context pod: id prints uid=1000 gid=3000 groups=2000,3000,4000; a file made in the emptyDir is fsGroup's", async (t) => {
  const { pod } = await testPod(t, manifestPod(SECURITY_CONTEXT));
  t.is(await idOf(pod, 'sec-ctx-demo'), 'uid=1000 gid=3000 groups=2000,3000,4000');
  const made = await pod.exec('sec-ctx-demo', [
    'sh',
    '-c',
    'echo hello > /data/demo/testfile && stat -c "%u %g" /data/demo/testfile && stat -c %A /data/demo',
  ]);
  t.is(made.exitCode, 0, made.stderr);
  const [owner, mode] = made.stdout.trim().split('\n');
  t.is(owner, '1000 2000');
  t.is(mode, 'drwxrwsrwx', 'group-owned by fsGroup with the setgid bit');
  t.is((await procStatus(pod, 'sec-ctx-demo')).NoNewPrivs, '1');
});

test("runAsUser without runAsGroup takes the gid the image's /etc/passwd gives that uid, else 0", async (t) => {
  const { pod } = await testPod(t, {
    containers: [
      { ...sleeper('nobody'), user: { uid: 65534 } },
      { ...sleeper('unnamed'), user: { uid: 1234 } },
    ],
  });
  t.is(
    (await pod.exec('nobody', ['id', '-u'])).stdout.trim() + ':' + (await pod.exec('nobody', ['id', '-g'])).stdout.trim(),
    '65534:65534',
  );
  t.is((await pod.exec('unnamed', ['id', '-u'])).stdout.trim() + ':' + (await pod.exec('unnamed', ['id', '-g'])).stdout.trim(), '1234:0');
});

test("an image whose User is 1000 runs the restricted pod without runAsUser; Merge adds the image's groups, Strict does not", async (t) => {
  const dir = await tempDir(t, 'sec-image');
  const archive = await toolboxImageArchive(dir, 'app', { entrypoint: ['sleep', '3600'], user: 'app' }, [
    { path: 'etc/passwd', content: 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home:/bin/sh\n' },
    { path: 'etc/group', content: 'root:x:0:\napp:x:1000:\nextra:x:50000:app\n' },
  ]);
  const imageRoot = path.join(dir, 'images');
  await importImage('example.com/app:1', archive, { imageRoot });
  const root = await stateRoot(t);
  const restricted = (policy: 'Merge' | 'Strict') =>
    manifestPod(`
apiVersion: v1
kind: Pod
metadata:
  name: restricted-image-user
spec:
  securityContext:
    runAsNonRoot: true
    supplementalGroups: [4000]
    supplementalGroupsPolicy: ${policy}
    seccompProfile:
      type: RuntimeDefault
  containers:
  - name: app
    image: example.com/app:1
    securityContext:
      allowPrivilegeEscalation: false
      capabilities:
        drop: ["ALL"]
`);
  const { pod: merge } = await testPod(t, restricted('Merge'), { root, imageRoot });
  t.is(await idOf(merge, 'app'), 'uid=1000 gid=1000 groups=1000,4000,50000');
  const status = await procStatus(merge, 'app');
  t.is(status.NoNewPrivs, '1');
  t.is(status.Seccomp, '2');
  t.is(status.CapEff, '0000000000000000');
  const { pod: strict } = await testPod(t, restricted('Strict'), { root, imageRoot });
  t.is(await idOf(strict, 'app'), 'uid=1000 gid=1000 groups=1000,4000');
});

test('runAsNonRoot on an image that runs as root: create fails naming the container, and nothing is left', async (t) => {
  const root = await stateRoot(t);
  const spec = manifestPod(`
apiVersion: v1
kind: Pod
metadata:
  name: non-root
spec:
  securityContext:
    runAsNonRoot: true
  containers:
  - name: fine
    image: busybox
    command: ["sleep", "3600"]
    securityContext:
      runAsUser: 1000
  - name: rooted
    image: busybox
    command: ["sleep", "3600"]
`);
  const error = await t.throwsAsync(Pod.create(spec, { runtime: RUNTIME, root }));
  t.true(isNspodError(error, 'INVALID_SPEC'), String(error));
  t.regex(error?.message ?? '', /^container rooted has runAsNonRoot and would run as root/);
  await assertNoLeftovers(t, root, { pod: spec.name });
});

// The Kubernetes docs' sysctl example (tasks/administer-cluster/sysctl-cluster), its securityContext as written there.
const SYSCTL_EXAMPLE = `
apiVersion: v1
kind: Pod
metadata:
  name: sysctl-example
spec:
  securityContext:
    sysctls:
    - name: kernel.shm_rmid_forced
      value: "1"
    - name: net.core.somaxconn
      value: "1024"
    - name: kernel.msgmax
      value: "65536"
    - name: net/ipv4/ip_unprivileged_port_start
      value: "0"
  containers:
  - name: one
    image: busybox
    command: ["sleep", "3600"]
  - name: two
    image: busybox
    command: ["sleep", "3600"]
    securityContext:
      runAsUser: 1000
      capabilities:
        drop: ["ALL"]
`;

test('sysctls are set on the pause: every container of the pod sees them; a non-root container binds port 80', async (t) => {
  const { pod } = await testPod(t, manifestPod(SYSCTL_EXAMPLE));
  const host = {
    shm: (await readFile('/proc/sys/kernel/shm_rmid_forced', 'utf8')).trim(),
    port: (await readFile('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8')).trim(),
  };
  for (const c of ['one', 'two']) {
    const r = await pod.exec(c, [
      'cat',
      '/proc/sys/kernel/shm_rmid_forced',
      '/proc/sys/net/core/somaxconn',
      '/proc/sys/kernel/msgmax',
      '/proc/sys/net/ipv4/ip_unprivileged_port_start',
    ]);
    t.deepEqual(r.stdout.trim().split('\n'), ['1', '1024', '65536', '0'], c);
  }
  // With no capability at all, uid 1000 may bind a port below 1024 in this pod's network namespace.
  const bind = await pod.exec('two', ['sh', '-c', 'httpd -p 127.0.0.1:80 -h /var/www && sleep 0.5 && wget -qO- http://127.0.0.1:80/']);
  t.is(bind.exitCode, 0, bind.stderr);
  t.is(bind.stdout.trim(), 'hello from nspod');
  // The host's own values did not move.
  t.is((await readFile('/proc/sys/kernel/shm_rmid_forced', 'utf8')).trim(), host.shm);
  t.is((await readFile('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8')).trim(), host.port);
});

test('a sysctl that is not namespaced (kernel.panic) is refused naming it, before anything is made', async (t) => {
  const root = await stateRoot(t);
  const name = podName('sec');
  const error = await t.throwsAsync(
    Pod.create({ name, sysctls: [{ name: 'kernel.panic', value: '10' }], containers: [sleeper('app')] }, { runtime: RUNTIME, root }),
  );
  t.true(isNspodError(error, 'INVALID_SPEC'), String(error));
  t.is(error?.message, "sysctls[0].name: kernel.panic is not namespaced: setting it would change the host's kernel for every process");
  await assertNoLeftovers(t, root, { pod: name });
});

test('appArmorProfile and seLinuxOptions: the pod runs, and where the host lacks the module a warning says it changes nothing', async (t) => {
  const warnings: string[] = [];
  const spec = manifestPod(`
apiVersion: v1
kind: Pod
metadata:
  name: lsm
spec:
  securityContext:
    seLinuxOptions:
      level: "s0:c123,c456"
  containers:
  - name: app
    image: busybox
    command: ["sleep", "3600"]
    securityContext:
      appArmorProfile:
        type: RuntimeDefault
      procMount: Default
`);
  const aa = (await readFile('/sys/module/apparmor/parameters/enabled', 'utf8').catch(() => 'N')).trim() === 'Y';
  const se = await readFile('/sys/fs/selinux/enforce', 'utf8').then(
    () => true,
    () => false,
  );
  const { pod } = await testPod(t, spec, { onWarning: (w) => warnings.push(w) });
  t.is((await procStatus(pod, 'app')).Seccomp, '2');
  if (!aa)
    t.true(
      warnings.includes('container app: appArmorProfile RuntimeDefault: this host has AppArmor disabled, so it changes nothing here'),
      warnings.join('\n'),
    );
  else
    t.true(
      warnings.some((w) => w.startsWith('container app: appArmorProfile RuntimeDefault: nspod loads no AppArmor profile')),
      warnings.join('\n'),
    );
  t.is(warnings.includes('seLinuxOptions: this host has SELinux disabled, so they change nothing here'), !se, warnings.join('\n'));
});

test("an exec (pod.exec, nspod exec, an exec hook) has the container's supplementary groups: id -G is its PID 1's", async (t) => {
  const { pod, root } = await testPod(
    t,
    manifestPod(`
apiVersion: v1
kind: Pod
metadata:
  name: exec-groups
spec:
  securityContext:
    runAsUser: 1000
    fsGroup: 2000
    supplementalGroups: [4000, 5000]
  volumes:
  - name: scratch
    emptyDir: {}
  containers:
  - name: app
    image: busybox
    command: ["sleep", "3600"]
    volumeMounts:
    - name: scratch
      mountPath: /scratch
    lifecycle:
      postStart:
        exec:
          command: ["sh", "-c", "id -G > /scratch/hook-groups"]
`),
  );
  const groups = ((await procStatus(pod, 'app')).Groups ?? '').trim().split(/\s+/).join(' ');
  t.is(groups, '0 2000 4000 5000', "runAsUser 1000 without runAsGroup: gid 0 (no passwd entry), fsGroup's and the supplementalGroups");
  t.is((await pod.exec('app', ['id', '-G'])).stdout.trim(), groups);
  const cli = await nspod(root, ['exec', pod.name, '--', 'id', '-G']);
  t.is(cli.exitCode, 0, cli.stderr);
  t.is(cli.stdout.trim(), groups);
  const hook = await eventually(async () => (await pod.exec('app', ['cat', '/scratch/hook-groups'])).stdout.trim() || undefined);
  t.is(hook, groups);
});
