import test from 'ava';
import { memberGroups, passwdEntry, withImageDefaults } from '../../src/image/config.js';
import { parseManifest } from '../../src/manifest/index.js';
import { isNspodError } from '../../src/errors.js';
import { checkRunAsNonRoot, containerLsm, lsmWarnings } from '../../src/pod/security.js';

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
    image: busybox:1.28
    command: [ "sh", "-c", "sleep 1h" ]
    volumeMounts:
    - name: sec-ctx-vol
      mountPath: /data/demo
    securityContext:
      allowPrivilegeEscalation: false
`;

test("the docs' security-context pod parses: pod-level groups on the PodSpec, runAs* on the container", (t) => {
  const { pods, warnings } = parseManifest(SECURITY_CONTEXT);
  t.deepEqual(warnings, []);
  const [pod] = pods;
  t.is(pod?.fsGroup, 2000);
  t.deepEqual(pod?.supplementalGroups, [4000]);
  t.deepEqual(pod?.containers[0]?.user, { uid: 1000, gid: 3000 });
  t.false(pod?.containers[0]?.allowPrivilegeEscalation);
});

test('runAsGroup without runAsUser keeps the gid; the uid comes from the image', (t) => {
  const { pods } = parseManifest(
    [
      'apiVersion: v1',
      'kind: Pod',
      'metadata: {name: p}',
      'spec:',
      '  securityContext: {runAsGroup: 3000}',
      '  containers:',
      '  - {name: a, image: x}',
    ].join('\n'),
  );
  const c = pods[0]!.containers[0]!;
  t.deepEqual(c.user, { gid: 3000 });
  t.deepEqual(withImageDefaults(c, { user: '1000:1000' }).user, { uid: 1000, gid: 3000 });
  t.deepEqual(withImageDefaults(c, {}).user, { gid: 3000 });
  t.deepEqual(withImageDefaults({ name: 'a', image: 'x', user: { uid: 7 } }, { user: '1000:1000' }).user, { uid: 7 });
});

test("the image's passwd and group: a uid's name and primary gid, the groups that list a user", (t) => {
  const passwd = 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1500::/home/app:/bin/sh\n';
  const group = 'root:x:0:\nwheel:x:10:root,app\napp:x:1500:app\nextra:x:50000:app\n#x:x:9:app\n';
  t.deepEqual(passwdEntry(passwd, 1000), { name: 'app', gid: 1500 });
  t.is(passwdEntry(passwd, 1234), undefined);
  t.deepEqual(memberGroups(group, 'app'), [10, 50000]);
  t.deepEqual(memberGroups(group, 'root'), [10]);
});

test('runAsNonRoot is checked once the image User is applied, and names the container', (t) => {
  const c = { name: 'app', image: 'x', runAsNonRoot: true };
  t.notThrows(() => checkRunAsNonRoot(c, { user: '1000:1000' }));
  const root = t.throws(() => checkRunAsNonRoot(c, {}));
  t.true(isNspodError(root, 'INVALID_SPEC'));
  t.regex(root?.message ?? '', /^container app has runAsNonRoot and would run as root \(its image names no User\)/);
  t.regex(t.throws(() => checkRunAsNonRoot(c, { user: '0:0' }))?.message ?? '', /its image's User is 0:0/);
  t.notThrows(() => checkRunAsNonRoot({ ...c, user: { uid: 5 } }, {}));
  t.notThrows(() => checkRunAsNonRoot({ ...c, runAsNonRoot: false }, {}));
});

test('appArmorProfile and seLinuxOptions are read; where the host lacks the module each says so once; where it has it they apply', (t) => {
  const { pods, warnings } = parseManifest(
    [
      'apiVersion: v1',
      'kind: Pod',
      'metadata: {name: p}',
      'spec:',
      '  securityContext:',
      '    appArmorProfile: {type: RuntimeDefault}',
      '    seLinuxOptions: {level: "s0:c123,c456"}',
      '  containers:',
      '  - {name: a, image: x}',
      '  - name: b',
      '    image: x',
      '    securityContext:',
      '      appArmorProfile: {type: Localhost, localhostProfile: k8s-apparmor-example-deny-write}',
      '      procMount: Default',
    ].join('\n'),
  );
  t.deepEqual(warnings, []);
  const spec = pods[0]!;
  t.deepEqual(spec.appArmorProfile, { type: 'RuntimeDefault' });
  t.deepEqual(spec.seLinuxOptions, { level: 's0:c123,c456' });
  t.deepEqual(spec.containers[1]!.appArmorProfile, { type: 'Localhost', localhostProfile: 'k8s-apparmor-example-deny-write' });
  t.deepEqual(lsmWarnings(spec, { appArmor: false, seLinux: false }), [
    'appArmorProfile RuntimeDefault: this host has AppArmor disabled, so it changes nothing here',
    'seLinuxOptions: this host has SELinux disabled, so they change nothing here',
    'container b: appArmorProfile Localhost: this host has AppArmor disabled, so it changes nothing here',
  ]);
  t.deepEqual(containerLsm(spec, spec.containers[0]!, { appArmor: false, seLinux: false }), {});
  // An AppArmor host: a Localhost profile that is not loaded is refused, naming the container.
  t.regex(
    t.throws(() => containerLsm(spec, spec.containers[1]!, { appArmor: true, seLinux: false }))?.message ?? '',
    /^container b: AppArmor profile k8s-apparmor-example-deny-write is not loaded on this host/,
  );
  // An SELinux host: a label needs its four parts.
  t.throws(() => containerLsm(spec, spec.containers[0]!, { appArmor: false, seLinux: true }), {
    message: /must give user, role, type and level/,
  });
  const full = { ...spec, seLinuxOptions: { user: 'system_u', role: 'system_r', type: 'container_t', level: 's0:c1,c2' } };
  t.deepEqual(containerLsm(full, full.containers[0]!, { appArmor: false, seLinux: true }), {
    selinuxLabel: 'system_u:system_r:container_t:s0:c1,c2',
  });
});

test('procMount other than Default is refused; a Localhost appArmorProfile needs its name', (t) => {
  const base = [
    'apiVersion: v1',
    'kind: Pod',
    'metadata: {name: p}',
    'spec:',
    '  containers:',
    '  - name: a',
    '    image: x',
    '    securityContext:',
  ];
  t.throws(() => parseManifest([...base, '      procMount: Unmasked'].join('\n')), {
    message: /procMount \(line 9\): "Unmasked" is not supported/,
  });
  t.throws(() => parseManifest([...base, '      appArmorProfile: {type: Localhost}'].join('\n')), {
    message: /appArmorProfile \(line 9\): localhostProfile: is required when type is Localhost/,
  });
});
