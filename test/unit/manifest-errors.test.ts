import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { isNspodError } from '../../src/errors.js';
import { loadManifestFile, parseManifest } from '../../src/manifest/index.js';

/** Lines of a manifest: line N of the text is lines[N - 1]. */
const HEAD = ['apiVersion: v1', 'kind: Pod', 'metadata:', '  name: p', 'spec:'];
/** A valid container at lines 7-9 of a manifest that starts with HEAD and '  containers:'. */
const WEB = ['  - name: web', '    image: busybox', '    command: [httpd, -f]'];

const rejects = test.macro({
  exec(t, lines: string[], message: string | RegExp) {
    const error = t.throws(() => parseManifest(lines.join('\n'), { file: 'pod.yaml' }));
    t.true(isNspodError(error, 'INVALID_SPEC'), String(error));
    if (typeof message === 'string') t.is(error?.message, message);
    else t.regex(error?.message ?? '', message);
  },
  title: (title = '') => `rejected: ${title}`,
});

test(
  'a grpc probe, with the container and line of the field',
  rejects,
  [
    ...HEAD,
    '  containers:',
    ...WEB,
    '  - name: client',
    '    image: busybox',
    '    command: [sleep, "60"]',
    '    livenessProbe:',
    '      grpc: {port: 9000}',
  ],
  'pod.yaml: spec.containers[1].livenessProbe.grpc (line 14): not supported',
);

test(
  'an unknown (misspelt) field',
  rejects,
  [...HEAD, '  containers:', '  - name: web', '    image: busybox', '    comand: [httpd]'],
  'pod.yaml: spec.containers[0].comand (line 9): unknown field',
);

test(
  'a container name that is not a DNS-1123 label',
  rejects,
  [...HEAD, '  containers:', '  - name: Web_1', '    image: busybox'],
  'pod.yaml: spec.containers[0].name (line 7): "Web_1" must consist of lowercase letters, digits and \'-\', and start and end with a letter or digit',
);

test(
  'a pod name longer than 63 characters',
  rejects,
  ['apiVersion: v1', 'kind: Pod', 'metadata:', `  name: ${'a'.repeat(64)}`, 'spec:', '  containers:', ...WEB],
  'pod.yaml: metadata.name (line 4): "' + 'a'.repeat(64) + '" must be at most 63 characters (it has 64)',
);

test(
  'a negative memory limit',
  rejects,
  [...HEAD, '  containers:', ...WEB, '    resources:', '      limits:', '        memory: -64Mi'],
  'pod.yaml: spec.containers[0].resources.limits.memory (line 12): must not be negative',
);

test(
  'a quantity that is not one',
  rejects,
  [...HEAD, '  containers:', ...WEB, '    resources:', '      limits: {cpu: 2cores}'],
  'pod.yaml: spec.containers[0].resources.limits.cpu (line 11): "2cores" is not a quantity (examples: 128Mi, 1G, 500m, 0.5, 2)',
);

test(
  'memory in millibytes (m for M)',
  rejects,
  [...HEAD, '  containers:', ...WEB, '    resources:', '      limits: {memory: 128m}'],
  'pod.yaml: spec.containers[0].resources.limits.memory (line 11): is a fraction of a byte',
);

test(
  'a zero limit',
  rejects,
  [...HEAD, '  containers:', ...WEB, '    resources:', '      limits:', '        cpu: 0'],
  'pod.yaml: spec.containers[0].resources.limits.cpu (line 12): must be greater than zero',
);

test(
  'a cpu request above its limit',
  rejects,
  [...HEAD, '  containers:', ...WEB, '    resources:', '      limits: {cpu: 500m}', '      requests:', '        cpu: 1'],
  'pod.yaml: spec.containers[0].resources.requests.cpu (line 13): must not exceed limits.cpu (line 11)',
);

test(
  'duplicate container names across init and app containers',
  rejects,
  [...HEAD, '  initContainers:', '  - {name: web, image: busybox, command: [sh]}', '  containers:', ...WEB],
  'pod.yaml: spec.containers[0].name (line 9): duplicate container name "web"',
);

test(
  'a command word of the wrong type (an unquoted number)',
  rejects,
  [...HEAD, '  containers:', '  - name: web', '    image: busybox', '    command:', '    - sleep', '    - 3600'],
  'pod.yaml: spec.containers[0].command[1] (line 11): must be a string, not number 3600',
);

test(
  'a port given as a string',
  rejects,
  [...HEAD, '  containers:', ...WEB, '    ports:', '    - containerPort: "8080"'],
  'pod.yaml: spec.containers[0].ports[0].containerPort (line 11): must be an integer, not the string "8080"',
);

test(
  'a map where a list belongs',
  rejects,
  [...HEAD, '  containers:', '    name: web', '    image: busybox'],
  'pod.yaml: spec.containers (line 6): must be a list, not a map',
);

test(
  'a label value that is a number',
  rejects,
  ['apiVersion: v1', 'kind: Pod', 'metadata:', '  name: p', '  labels:', '    version: 2', 'spec:', '  containers:', ...WEB],
  'pod.yaml: metadata.labels.version (line 6): must be a string, not number 2',
);

test(
  'a container without an image',
  rejects,
  [...HEAD, '  containers:', '  - name: web', '    command: [httpd]'],
  'pod.yaml: spec.containers[0].image (line 7): is required',
);

test(
  'an apiVersion other than v1',
  rejects,
  ['apiVersion: apps/v1', 'kind: Pod', 'metadata: {name: p}'],
  'pod.yaml: apiVersion (line 1): "apps/v1" is not supported: nspod reads Pod of apiVersion v1',
);

test(
  "a workload of another kind's apiVersion",
  rejects,
  ['apiVersion: v1', 'kind: Deployment', 'metadata: {name: p}'],
  'pod.yaml: apiVersion (line 1): "v1" is not supported: nspod reads Deployment of apiVersion apps/v1',
);

test('a document without apiVersion', rejects, ['kind: Pod', 'metadata: {name: p}'], 'pod.yaml: apiVersion (line 1): is required');

test(
  'bad YAML, with its line',
  rejects,
  [...HEAD, '  containers:', '  - name: web', '    image: [busybox', '    command: [httpd]'],
  'pod.yaml: line 9: invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]',
);

test(
  'a key given twice',
  rejects,
  [...HEAD, '  containers:', ...WEB, '    image: other'],
  'pod.yaml: line 10: invalid YAML: Map keys must be unique',
);

test('an empty file', rejects, ['# nothing here', ''], 'pod.yaml: line 1: the manifest is empty');

test(
  'an empty document between two pods',
  rejects,
  [...HEAD, '  containers:', ...WEB, '---', '---', ...HEAD, '  containers:', ...WEB],
  'pod.yaml: document 2 (line 10): is empty',
);

test(
  'a document that is not a map',
  rejects,
  ['- apiVersion: v1'],
  'pod.yaml: line 1: a manifest document must be a map (apiVersion: v1, kind: Pod, ...)',
);

test(
  'a volumeMount naming no volume',
  rejects,
  [
    ...HEAD,
    '  volumes:',
    '  - {name: data, emptyDir: {}}',
    '  containers:',
    ...WEB,
    '    volumeMounts:',
    '    - mountPath: /data',
    '      name: date',
  ],
  'pod.yaml: spec.containers[0].volumeMounts[0].name (line 14): no volume named "date" in spec.volumes',
);

test(
  'a port out of range',
  rejects,
  [...HEAD, '  containers:', ...WEB, '    ports:', '    - containerPort: 80', '      hostPort: 70000'],
  'pod.yaml: spec.containers[0].ports[0].hostPort (line 12): must be between 1 and 65535 (it is 70000)',
);

test(
  'two containers on one host port',
  rejects,
  [
    ...HEAD,
    '  containers:',
    ...WEB,
    '    ports: [{containerPort: 80, hostPort: 8080}]',
    '  - name: other',
    '    image: busybox',
    '    command: [sh]',
    '    ports:',
    '    - {containerPort: 81, hostPort: 8080}',
  ],
  'pod.yaml: spec.containers[1].ports[0].hostPort (line 15): host port 0.0.0.0:8080/TCP is already taken by spec.containers[0].ports[0] (line 10)',
);

test(
  'an env value from a file of a volume',
  rejects,
  [...HEAD, '  containers:', ...WEB, '    env:', '    - name: TOKEN', '      valueFrom:', '        fileKeyRef: {path: t, key: token}'],
  'pod.yaml: spec.containers[0].env[0].valueFrom.fileKeyRef (line 13): not supported',
);

test(
  'an env value with a value and a source',
  rejects,
  [
    ...HEAD,
    '  containers:',
    ...WEB,
    '    env:',
    '    - name: T',
    '      value: x',
    '      valueFrom:',
    '        secretKeyRef: {name: s, key: t}',
  ],
  'pod.yaml: spec.containers[0].env[0].valueFrom (line 13): may not be given when value is not empty',
);

test(
  'a downward API field an env var cannot have',
  rejects,
  [...HEAD, '  containers:', ...WEB, '    env:', '    - name: L', '      valueFrom:', '        fieldRef: {fieldPath: metadata.labels}'],
  /^pod\.yaml: spec\.containers\[0\]\.env\[0\]\.valueFrom\.fieldRef\.fieldPath \(line 13\): "metadata\.labels" is not a field the downward API gives an env var/,
);

test(
  'a volume source nspod has not',
  rejects,
  [...HEAD, '  volumes:', '  - name: cfg', '    persistentVolumeClaim: {claimName: c}', '  containers:', ...WEB],
  'pod.yaml: spec.volumes[0].persistentVolumeClaim (line 8): not supported',
);

test(
  'a projected service account token',
  rejects,
  [
    ...HEAD,
    '  volumes:',
    '  - name: t',
    '    projected:',
    '      sources:',
    '      - serviceAccountToken: {path: token}',
    '  containers:',
    ...WEB,
  ],
  'pod.yaml: spec.volumes[0].projected.sources[0].serviceAccountToken (line 10): not supported',
);

test(
  'an emptyDir of huge pages',
  rejects,
  [...HEAD, '  volumes:', '  - name: h', '    emptyDir: {medium: HugePages-2Mi}', '  containers:', ...WEB],
  /^pod\.yaml: spec\.volumes\[0\]\.emptyDir\.medium \(line 8\): "HugePages-2Mi" is not supported: nspod does not manage huge pages/,
);

test(
  'a sizeLimit on a disk emptyDir',
  rejects,
  [...HEAD, '  volumes:', '  - name: c', '    emptyDir: {sizeLimit: 500Mi}', '  containers:', ...WEB],
  /^pod\.yaml: spec\.volumes\[0\]\.emptyDir\.sizeLimit \(line 8\): is not supported on disk/,
);

test(
  'a subPath that climbs out of its volume',
  rejects,
  [
    ...HEAD,
    '  volumes:',
    '  - {name: v, emptyDir: {}}',
    '  containers:',
    ...WEB,
    '    volumeMounts:',
    '    - {name: v, mountPath: /v, subPath: ../x}',
  ],
  /^pod\.yaml: spec\.containers\[0\]\.volumeMounts\[0\]\.subPath \(line 13\): "\.\.\/x" must not contain '\.\.'/,
);

test(
  'a volume with two sources',
  rejects,
  [...HEAD, '  volumes:', '  - name: v', '    emptyDir: {}', '    hostPath: {path: /srv}', '  containers:', ...WEB],
  'pod.yaml: spec.volumes[0].hostPath (line 9): a volume has one source, and this one already has emptyDir',
);

test(
  'a relative hostPath',
  rejects,
  [...HEAD, '  volumes:', '  - name: v', '    hostPath:', '      path: srv/data', '  containers:', ...WEB],
  'pod.yaml: spec.volumes[0].hostPath.path (line 9): "srv/data" must be an absolute path',
);

test(
  'a sysctl that is not namespaced',
  rejects,
  [...HEAD, '  securityContext:', '    sysctls:', '    - {name: kernel.panic, value: "10"}', '  containers:', ...WEB],
  "pod.yaml: spec.securityContext.sysctls[0].name (line 8): kernel.panic is not namespaced: setting it would change the host's kernel for every process",
);

test(
  'a net.* sysctl on the host network',
  rejects,
  [
    ...HEAD,
    '  hostNetwork: true',
    '  securityContext:',
    '    sysctls:',
    '    - {name: net.ipv4.tcp_syncookies, value: "1"}',
    '  containers:',
    ...WEB,
  ],
  "pod.yaml: spec.securityContext.sysctls[0].name (line 9): net.ipv4.tcp_syncookies is the network namespace's, and a hostNetwork pod has none of its own",
);

test(
  'a supplementalGroupsPolicy Kubernetes does not have',
  rejects,
  [...HEAD, '  securityContext:', '    supplementalGroupsPolicy: Replace', '  containers:', ...WEB],
  'pod.yaml: spec.securityContext.supplementalGroupsPolicy (line 7): "Replace" must be Merge or Strict',
);

test(
  'a negative supplemental group',
  rejects,
  [...HEAD, '  securityContext:', '    supplementalGroups: [4000, -1]', '  containers:', ...WEB],
  'pod.yaml: spec.securityContext.supplementalGroups[1] (line 7): must be between 0 and 2147483647 (it is -1)',
);

test(
  'runAsNonRoot with runAsUser 0',
  rejects,
  [...HEAD, '  securityContext: {runAsNonRoot: true}', '  containers:', ...WEB, '    securityContext:', '      runAsUser: 0'],
  'pod.yaml: spec.securityContext.runAsNonRoot (line 6): contradicts runAsUser: 0 (line 12)',
);

test(
  'allowPrivilegeEscalation: false with privileged: true',
  rejects,
  [...HEAD, '  containers:', ...WEB, '    securityContext:', '      privileged: true', '      allowPrivilegeEscalation: false'],
  'pod.yaml: spec.containers[0].securityContext.allowPrivilegeEscalation (line 12): cannot be false together with privileged: true (a privileged container escalates)',
);

test(
  'allowPrivilegeEscalation: false with capabilities.add SYS_ADMIN',
  rejects,
  [
    ...HEAD,
    '  containers:',
    ...WEB,
    '    securityContext:',
    '      allowPrivilegeEscalation: false',
    '      capabilities: {add: [SYS_ADMIN]}',
  ],
  'pod.yaml: spec.containers[0].securityContext.allowPrivilegeEscalation (line 11): cannot be false together with capabilities.add SYS_ADMIN',
);

test(
  'a seccompProfile type Kubernetes does not have',
  rejects,
  [...HEAD, '  securityContext:', '    seccompProfile: {type: Strict}', '  containers:', ...WEB],
  'pod.yaml: spec.securityContext.seccompProfile.type (line 7): "Strict" must be one of RuntimeDefault, Unconfined, Localhost',
);

test(
  'a Localhost seccompProfile without its path',
  rejects,
  [...HEAD, '  containers:', ...WEB, '    securityContext:', '      seccompProfile:', '        type: Localhost'],
  'pod.yaml: spec.containers[0].securityContext.seccompProfile (line 11): localhostProfile: is required when type is Localhost',
);

test(
  'a Localhost seccompProfile outside the profile root',
  rejects,
  [
    ...HEAD,
    '  containers:',
    ...WEB,
    '    securityContext:',
    '      seccompProfile: {type: Localhost, localhostProfile: ../etc/profile.json}',
  ],
  /^pod\.yaml: spec\.containers\[0\]\.securityContext\.seccompProfile\.localhostProfile \(line 11\): "\.\.\/etc\/profile\.json" is outside the seccomp profile root/,
);

test(
  'a localhostProfile with type RuntimeDefault',
  rejects,
  [...HEAD, '  securityContext:', '    seccompProfile: {type: RuntimeDefault, localhostProfile: a.json}', '  containers:', ...WEB],
  'pod.yaml: spec.securityContext.seccompProfile.localhostProfile (line 7): may only be set when type is Localhost',
);

test(
  'an unknown capability',
  rejects,
  [...HEAD, '  containers:', ...WEB, '    securityContext:', '      capabilities:', '        add: [NET_ADMIN, NET_TELEPORT]'],
  'pod.yaml: spec.containers[0].securityContext.capabilities.add[1] (line 12): unknown capability "NET_TELEPORT"',
);

test(
  'a restartPolicy Kubernetes does not have',
  rejects,
  [...HEAD, '  restartPolicy: Sometimes', '  containers:', ...WEB],
  'pod.yaml: spec.restartPolicy (line 6): "Sometimes" must be Always, OnFailure or Never',
);

test(
  'a negative grace period',
  rejects,
  [...HEAD, '  terminationGracePeriodSeconds: -1', '  containers:', ...WEB],
  'pod.yaml: spec.terminationGracePeriodSeconds (line 6): must be >= 0 (it is -1)',
);

test(
  'a pod without a name',
  rejects,
  ['apiVersion: v1', 'kind: Pod', 'metadata:', '  labels: {app: x}', 'spec:', '  containers:', ...WEB],
  'pod.yaml: metadata.name (line 3): is required',
);

test(
  'a pod without containers',
  rejects,
  [...HEAD, '  containers: []'],
  'pod.yaml: spec.containers (line 6): a pod needs at least one container',
);

test(
  'two pods of one name in one file',
  rejects,
  [...HEAD, '  containers:', ...WEB, '---', ...HEAD, '  containers:', ...WEB],
  'pod.yaml: metadata.name (line 14): duplicate pod name "p" (first at line 4)',
);

test(
  'a network annotation on the host network',
  rejects,
  [
    'apiVersion: v1',
    'kind: Pod',
    'metadata:',
    '  name: p',
    '  annotations:',
    '    nspod.io/network: default',
    'spec:',
    '  hostNetwork: true',
    '  containers:',
    ...WEB,
  ],
  'pod.yaml: metadata.annotations["nspod.io/network"] (line 6): conflicts with spec.hostNetwork: true (a pod on the host network has no network of its own)',
);

test(
  'a hostPort other than its containerPort on the host network',
  rejects,
  [...HEAD, '  hostNetwork: true', '  containers:', ...WEB, '    ports:', '    - containerPort: 80', '      hostPort: 8080'],
  'pod.yaml: spec.containers[0].ports[0].hostPort (line 13): must equal containerPort (80) on the host network',
);

test(
  "validatePodSpec's own findings are placed on the manifest (busybox without a command)",
  rejects,
  [...HEAD, '  containers:', '  - name: web', '    image: busybox'],
  'pod.yaml: spec.containers[0] (line 7): command: the busybox toolbox has no default command: give command or args',
);

test(
  'hostPID: true (false, the default, is accepted)',
  rejects,
  [...HEAD, '  hostPID: true', '  containers:', ...WEB],
  'pod.yaml: spec.hostPID (line 6): true is not supported (only false)',
);

test(
  'an ephemeral-storage limit',
  rejects,
  [...HEAD, '  containers:', ...WEB, '    resources:', '      limits:', '        memory: 1Gi', '        ephemeral-storage: 2Gi'],
  'pod.yaml: spec.containers[0].resources.limits["ephemeral-storage"] (line 13): not supported',
);

test(
  'a label key that is not one',
  rejects,
  ['apiVersion: v1', 'kind: Pod', 'metadata:', '  name: p', '  labels:', '    "bad key!": x', 'spec:', '  containers:', ...WEB],
  "pod.yaml: metadata.labels[\"bad key!\"] (line 6): invalid label key: its name must be 1-63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit",
);

test(
  'an env variable name with =',
  rejects,
  [...HEAD, '  containers:', ...WEB, '    env:', '    - {name: OK, value: x}', '    - name: A=B', '      value: y'],
  'pod.yaml: spec.containers[0].env[1].name (line 12): invalid variable name "A=B"',
);

test(
  'an IPv6 hostIP',
  rejects,
  [...HEAD, '  containers:', ...WEB, '    ports:', '    - {containerPort: 80, hostPort: 8080, hostIP: "::1"}'],
  'pod.yaml: spec.containers[0].ports[0].hostIP (line 11): "::1" must be an IPv4 address',
);

test(
  'a duplicate mountPath',
  rejects,
  [
    ...HEAD,
    '  volumes: [{name: a, emptyDir: {}}]',
    '  containers:',
    ...WEB,
    '    volumeMounts:',
    '    - {name: a, mountPath: /a}',
    '    - {name: a, mountPath: /a}',
  ],
  'pod.yaml: spec.containers[0].volumeMounts[1].mountPath (line 13): duplicate mountPath "/a"',
);

test('every value problem is reported, topmost first; the message is the first', (t) => {
  const lines = [
    ...HEAD,
    '  restartPolicy: Sometimes',
    '  securityContext: {runAsUser: -1}',
    '  containers:',
    '  - name: Web_1',
    '    image: busybox',
    '    workingDir: tmp',
    '    ports: [{containerPort: 0, name: HTTP}]',
    '  - name: two',
    '    image: busybox',
    '    command: [sh]',
  ];
  const error = t.throws(() => parseManifest(lines.join('\n'), { file: 'pod.yaml' }));
  t.true(isNspodError(error, 'INVALID_SPEC'));
  const problems = [
    'pod.yaml: spec.restartPolicy (line 6): "Sometimes" must be Always, OnFailure or Never',
    'pod.yaml: spec.securityContext.runAsUser (line 7): must be between 0 and 2147483647 (it is -1)',
    'pod.yaml: spec.containers[0].name (line 9): "Web_1" must consist of lowercase letters, digits and \'-\', and start and end with a letter or digit',
    'pod.yaml: spec.containers[0] (line 9): command: the busybox toolbox has no default command: give command or args',
    'pod.yaml: spec.containers[0].workingDir (line 11): must be an absolute path (it is "tmp")',
    'pod.yaml: spec.containers[0].ports[0].containerPort (line 12): must be between 1 and 65535 (it is 0)',
    'pod.yaml: spec.containers[0].ports[0].name (line 12): "HTTP" must be at most 15 lowercase letters, digits and \'-\' (not doubled), with a letter',
  ];
  t.is(error?.message, problems[0]!);
  // The pod's runAsUser is each container's user: said once.
  t.deepEqual(isNspodError(error) && error.problems, problems);
});

test('a hint says what to do about a quoted number', (t) => {
  const error = t.throws(() =>
    parseManifest([...HEAD, '  containers:', '  - name: web', '    image: busybox', '    command: [sleep, 5]'].join('\n')),
  );
  t.true(isNspodError(error) && error.hint === 'quote it: "5"');
});

test("an unknown field's hint lists the fields known there", (t) => {
  const error = t.throws(() => parseManifest([...HEAD, '  containers:', ...WEB, '    imagePolicy: Always'].join('\n')));
  t.true(isNspodError(error) && error.hint!.includes('imagePullPolicy'), String(isNspodError(error) && error.hint));
});

test('a missing manifest file is an INVALID_SPEC naming the file', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'nspod-manifest-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'absent.yaml');
  const error = await t.throwsAsync(loadManifestFile(file));
  t.true(isNspodError(error, 'INVALID_SPEC'));
  t.is(error?.message, `${file}: cannot read the manifest (ENOENT)`);
});

test(
  'a RestartAllContainers rule on an init container that runs to completion, with its field and line',
  rejects,
  [
    ...HEAD,
    '  restartPolicy: Never',
    '  initContainers:',
    '  - name: setup',
    '    image: busybox',
    '    command: [sh, -c, "exit 88"]',
    '    restartPolicy: Never',
    '    restartPolicyRules:',
    '    - action: RestartAllContainers',
    '      exitCodes: {operator: In, values: [88]}',
    '  containers:',
    ...WEB,
  ],
  'pod.yaml: spec.initContainers[0].restartPolicyRules[0].action (line 13): RestartAllContainers is not supported on an init container that runs to completion: nspod runs it once (on a sidecar or an app container it is)',
);

test(
  'restartPolicyRules without the container restartPolicy Kubernetes requires with them',
  rejects,
  [...HEAD, '  containers:', ...WEB, '    restartPolicyRules:', '    - action: Restart', '      exitCodes: {operator: In, values: [42]}'],
  /^pod\.yaml: spec\.containers\[0\]\.restartPolicyRules \(line 10\): need the container's restartPolicy set too/,
);

test(
  'a restart rule operator Kubernetes does not have',
  rejects,
  [
    ...HEAD,
    '  containers:',
    ...WEB,
    '    restartPolicy: Never',
    '    restartPolicyRules:',
    '    - action: Restart',
    '      exitCodes: {operator: Above, values: [42]}',
  ],
  'pod.yaml: spec.containers[0].restartPolicyRules[0].exitCodes.operator (line 13): "Above" must be In or NotIn',
);

test(
  'an init container that is not a sidecar has no probes',
  rejects,
  [...HEAD, '  initContainers:', ...WEB, '    readinessProbe: {exec: {command: ["true"]}}', '  containers:', ...WEB],
  /^pod\.yaml: spec\.initContainers\[0\]\.readinessProbe \(line 10\): init containers have no probes/,
);

test(
  'an init container with restartPolicy OnFailure (nspod runs an init container once)',
  rejects,
  [...HEAD, '  initContainers:', ...WEB, '    restartPolicy: OnFailure', '  containers:', ...WEB],
  /^pod\.yaml: spec\.initContainers\[0\]\.restartPolicy \(line 10\): OnFailure is not supported on an init container/,
);

test(
  'an activeDeadlineSeconds of 0',
  rejects,
  [...HEAD, '  activeDeadlineSeconds: 0', '  containers:', ...WEB],
  'pod.yaml: spec.activeDeadlineSeconds (line 6): must be >= 1 (it is 0)',
);
