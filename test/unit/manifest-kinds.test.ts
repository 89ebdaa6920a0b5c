import test from 'ava';
import { parseManifest } from '../../src/manifest/index.js';

const template = (restart = '') => `  template:
    metadata:
      name: ignored
      labels: {app: web}
    spec:
${restart}      containers:
      - name: app
        image: busybox
        command: [sleep, "3600"]`;

test('workloads run their pod template as one pod, named after them (a StatefulSet its ordinal 0); replicas > 1 warn', (t) => {
  const text = ['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet']
    .map(
      (kind, i) =>
        `apiVersion: apps/v1\nkind: ${kind}\nmetadata:\n  name: w${i}\n  labels: {own: x}\nspec:\n  replicas: 3\n  selector: {matchLabels: {app: web}}\n${template()}\n`,
    )
    .join('---\n')
    .replace(/(kind: DaemonSet[\s\S]*?)  replicas: 3\n/, '$1');
  const { pods, warnings } = parseManifest(text, { file: 'w.yaml' });
  t.deepEqual(
    pods.map((p) => [p.name, p.labels]),
    [
      ['w0', { app: 'web' }],
      ['w1', { app: 'web' }],
      ['w2-0', { app: 'web' }],
      ['w3', { app: 'web' }],
    ],
  );
  t.deepEqual(pods[0]!.containers, [{ name: 'app', image: 'busybox', command: ['sleep', '3600'] }]);
  t.true(warnings.includes('w.yaml: spec.replicas (line 7): Deployment asks for 3: nspod runs one pod for it'), warnings.join('\n'));
  t.true(
    warnings.includes('w.yaml: spec.template.metadata.name (line 11): ignored: the pod is named after its workload'),
    warnings.join('\n'),
  );
});

test("a Job's pod keeps its restartPolicy and gets backoffLimit (6 by default); Always is refused", (t) => {
  const job = (spec: string, restart: string) =>
    parseManifest(
      `apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\nspec:\n${spec}${template(`      restartPolicy: ${restart}\n`)}\n`,
      { file: 'j.yaml' },
    );
  const [pod] = job('  backoffLimit: 2\n', 'Never').pods;
  t.is(pod!.restartPolicy, 'Never');
  t.is(pod!.backoffLimit, 2);
  t.is(job('', 'OnFailure').pods[0]!.backoffLimit, 6);
  t.is(job('  activeDeadlineSeconds: 100\n', 'Never').pods[0]!.activeDeadlineSeconds, 100, "the Job's deadline is its pod's");
  t.is(job('', 'Never').pods[0]!.activeDeadlineSeconds, undefined);
  t.regex(
    t.throws(() => job('', 'Always'))?.message ?? '',
    /^j\.yaml: spec\.template\.spec\.restartPolicy \(line \d+\): a Job's pod needs restartPolicy Never or OnFailure/,
  );
});

test('ConfigMaps and Secrets are read (stringData into data, base64), other kinds skipped with a warning naming them', (t) => {
  const m = parseManifest(
    `apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
data:
  game.properties: |
    lives=3
binaryData: {blob: AAE=}
---
apiVersion: v1
kind: Secret
metadata: {name: sec}
type: Opaque
data: {user: YWRtaW4=}
stringData: {password: s3cr3t}
---
apiVersion: v1
kind: Service
metadata: {name: svc}
`,
    { file: 'c.yaml' },
  );
  t.deepEqual(m.configMaps, [{ kind: 'ConfigMap', name: 'cfg', data: { 'game.properties': 'lives=3\n' }, binaryData: { blob: 'AAE=' } }]);
  t.deepEqual(m.secrets, [{ kind: 'Secret', name: 'sec', type: 'Opaque', data: { user: 'YWRtaW4=', password: 'czNjcjN0' } }]);
  t.deepEqual(m.pods, []);
  t.is(m.warnings.length, 1);
  t.regex(m.warnings[0]!, /^c\.yaml: kind \(line 17\): "Service" is skipped: nspod runs Pods/);
  t.regex(
    t.throws(() => parseManifest('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {"a b": x}\n'))?.message ?? '',
    /^data\["a b"\] \(line 4\): invalid key/,
  );
  t.regex(
    t.throws(() => parseManifest('apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {k: "not base64!"}\n'))?.message ?? '',
    /^data\.k \(line 4\): is not base64/,
  );
});

test('env sources, envFrom, projected volumes and octal modes read into the PodSpec', (t) => {
  const { pods } = parseManifest(`apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - name: c
    image: busybox
    command: [sh]
    envFrom:
    - configMapRef: {name: cfg}
      prefix: CFG_
    env:
    - name: LEVEL
      valueFrom:
        configMapKeyRef: {name: cfg, key: level, optional: true}
    - name: MEM
      valueFrom:
        resourceFieldRef: {resource: limits.memory, divisor: 1Mi}
    volumeMounts:
    - {name: s, mountPath: /s, subPathExpr: $(LEVEL)}
  volumes:
  - name: s
    secret:
      secretName: sec
      defaultMode: 0400
      items: [{key: k, path: a/k, mode: 256}]
`);
  const c = pods[0]!.containers[0]!;
  t.deepEqual(c.envFrom, [{ configMapRef: { name: 'cfg' }, prefix: 'CFG_' }]);
  t.deepEqual(c.env, {
    LEVEL: { configMapKeyRef: { name: 'cfg', key: 'level', optional: true } },
    MEM: { resourceFieldRef: { resource: 'limits.memory', divisor: 2 ** 20 } },
  });
  t.deepEqual(c.volumeMounts, [{ name: 's', mountPath: '/s', subPathExpr: '$(LEVEL)' }]);
  t.deepEqual(pods[0]!.volumes, [
    { name: 's', secret: { secretName: 'sec', defaultMode: 0o400, items: [{ key: 'k', path: 'a/k', mode: 0o400 }] } },
  ]);
});
