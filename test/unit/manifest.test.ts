import test from 'ava';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadManifestFile, parseManifest } from '../../src/manifest/index.js';
import type { PodSpec } from '../../src/spec/spec.js';

const top = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const fixture = (name: string) => path.join(top, 'test/fixtures/manifests', name);

test("the example manifest is the seeds' two-container pod, with nothing ignored", async (t) => {
  const { pods, warnings, baseDir, file } = await loadManifestFile(path.join(top, 'examples/pod.yaml'));
  t.is(file, path.join(top, 'examples/pod.yaml'));
  t.is(baseDir, path.join(top, 'examples'));
  t.deepEqual(warnings, []);
  t.is(pods.length, 1);
  const [pod] = pods as [PodSpec];
  t.deepEqual(
    { ...pod, containers: pod.containers.map((c) => ({ ...c, args: c.args?.length })) },
    {
      name: 'web',
      labels: { app: 'web' },
      hostname: 'demo',
      shareProcessNamespace: true,
      terminationGracePeriodSeconds: 5,
      containers: [
        {
          name: 'web',
          image: 'busybox',
          command: ['httpd', '-f', '-v', '-p', '127.0.0.1:8080', '-h', '/var/www'],
          args: undefined,
          ports: [{ containerPort: 8080 }],
          resources: { memoryBytes: 32 * 1024 * 1024, cpu: 0.5, cpuShares: 512 },
        },
        { name: 'client', image: 'busybox', command: ['sh', '-c'], args: 1, resources: { memoryBytes: 16 * 1024 * 1024 } },
      ],
    },
  );
  const script = pods[0]!.containers[1]!.args![0]!;
  t.regex(script, /for i in \$\(seq 1 30\)/, 'the client fetches a bounded number of times');
  t.regex(script, /wget -qO- http:\/\/127\.0\.0\.1:8080\//);
});

test('init containers, volumes, resources, ports, env and security contexts map to an exact PodSpec', async (t) => {
  const { pods, warnings } = await loadManifestFile(fixture('full.yaml'));
  t.deepEqual(warnings, []);
  const expected: PodSpec = {
    name: 'shop',
    labels: { 'app.kubernetes.io/name': 'shop', tier: '' },
    annotations: { 'nspod.io/network': 'none', 'example.com/owner': 'team a' },
    network: 'none',
    hostname: 'shop-1',
    restartPolicy: 'OnFailure',
    terminationGracePeriodSeconds: 0,
    volumes: [
      { name: 'cache', emptyDir: {} },
      { name: 'scratch', emptyDir: { medium: 'Memory' } },
      { name: 'config', hostPath: { path: '/etc/shop', type: 'Directory' } },
    ],
    initContainers: [
      {
        name: 'prepare',
        image: 'busybox',
        command: ['sh', '-c', 'echo ready > /cache/ready'],
        user: { uid: 1000, gid: 1000 },
        volumeMounts: [{ name: 'cache', mountPath: '/cache' }],
      },
    ],
    containers: [
      {
        name: 'app',
        image: './rootfs/app',
        args: ['--port', '9000'],
        workingDir: '/srv',
        env: { MODE: 'production', EMPTY: '' },
        ports: [
          { name: 'http', containerPort: 9000, hostPort: 19000, hostIP: '127.0.0.1', protocol: 'TCP' },
          { containerPort: 9001, protocol: 'UDP' },
        ],
        resources: { cpu: 1.5, cpuRequest: 0.25, cpuShares: 256, memoryBytes: 1_000_000_000 },
        user: { uid: 2000, gid: 1000 },
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] },
        volumeMounts: [
          { name: 'cache', mountPath: '/cache', readOnly: true },
          { name: 'config', mountPath: '/etc/shop' },
          { name: 'scratch', mountPath: '/tmp' },
        ],
      },
      { name: 'debug', image: 'busybox', command: ['sleep', '3600'], privileged: true, user: { uid: 1000, gid: 0 } },
    ],
  };
  t.deepEqual(pods, [expected]);
});

test('a multi-document manifest gives one pod per document; a trailing --- is tolerated', async (t) => {
  const { pods, warnings } = await loadManifestFile(fixture('multi.yaml'));
  t.deepEqual(warnings, []);
  t.deepEqual(pods, [
    { name: 'first', containers: [{ name: 'main', image: 'busybox', command: ['sleep', '60'] }] },
    {
      name: 'second',
      hostNetwork: true,
      containers: [{ name: 'main', image: 'busybox', args: ['echo', 'hi'], ports: [{ containerPort: 8081, hostPort: 8081 }] }],
    },
  ]);
});

test('fields that change nothing on one host are accepted, each with a warning naming field and line', async (t) => {
  const { pods, warnings } = await loadManifestFile(fixture('ignorable.yaml'));
  t.deepEqual(pods, [
    {
      name: 'quiet',
      serviceAccountName: 'default',
      containers: [
        {
          name: 'main',
          image: 'busybox',
          command: ['sleep', '60'],
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
          resources: { memoryRequestBytes: 64 * 2 ** 20 },
          allowPrivilegeEscalation: true,
        },
      ],
    },
  ]);
  const file = fixture('ignorable.yaml');
  t.deepEqual(warnings, [
    `${file}: metadata.namespace (line 5): ignored: a single host has no namespaces`,
    `${file}: metadata.uid (line 6): ignored: set by the API server`,
    `${file}: metadata.creationTimestamp (line 7): ignored: set by the API server`,
    `${file}: metadata.resourceVersion (line 8): ignored: set by the API server`,
    `${file}: spec.dnsPolicy (line 10): ignored: there is no cluster DNS here`,
    `${file}: spec.schedulerName (line 11): ignored: there is no scheduler on a single host`,
    `${file}: spec.nodeName (line 12): ignored: there is no scheduler on a single host`,
    `${file}: spec.nodeSelector (line 13): ignored: there is no scheduler on a single host`,
    `${file}: spec.tolerations (line 15): ignored: there is no scheduler on a single host`,
    `${file}: spec.priority (line 18): ignored: there is no scheduler on a single host`,
    `${file}: spec.serviceAccountName (line 19): ignored: there are no service accounts here (the downward API reports the name)`,
    `${file}: spec.enableServiceLinks (line 20): ignored: there are no services here`,
    `${file}: spec.containers[0].imagePullPolicy (line 26): ignored: an image is pulled (skopeo) only when it is not in the cache yet`,
    `${file}: spec.containers[0].stdin (line 29): ignored: containers here have no attached stdin`,
    `${file}: spec.containers[0].tty (line 30): ignored: containers here have no terminal: use exec with tty`,
    `${file}: spec.containers[0].resources.requests.memory (line 33): accepted: it sets the QoS class and oom_score_adj, as in Kubernetes; no memory is reserved for it (the downward API reports it)`,
    `${file}: status (line 36): ignored: set by the API server`,
  ]);
});

test('without a file name, messages start at the field path; images stay as written', (t) => {
  const text = [
    'apiVersion: v1',
    'kind: Pod',
    'metadata: {name: p}',
    'spec:',
    '  dnsPolicy: Default',
    '  containers:',
    '  - {name: c, image: ../images/alpine, args: [sh]}',
  ].join('\n');
  const { pods, warnings } = parseManifest(text, {});
  t.is(pods[0]!.containers[0]!.image, '../images/alpine');
  t.deepEqual(warnings, ['spec.dnsPolicy (line 5): ignored: there is no cluster DNS here']);
});

test('quantities: Kubernetes suffixes, decimals and exponents map to bytes, cores and shares', (t) => {
  const cases: [string, string, { memoryBytes?: number; cpu?: number; cpuShares?: number; cpuRequest?: number }][] = [
    ['memory: 32Mi', '', { memoryBytes: 33554432 }],
    ['memory: 1G', '', { memoryBytes: 1e9 }],
    ['memory: 1.1G', '', { memoryBytes: 1_100_000_000 }],
    ['memory: 0.5Ki', '', { memoryBytes: 512 }],
    ['memory: 1e6', '', { memoryBytes: 1_000_000 }],
    ['memory: 4096', '', { memoryBytes: 4096 }],
    ['cpu: 500m', '', { cpu: 0.5, cpuShares: 512 }],
    ['cpu: 0.5', '', { cpu: 0.5, cpuShares: 512 }],
    ['cpu: 2', '', { cpu: 2, cpuShares: 2048 }],
    ['cpu: "1"', 'cpu: 100m', { cpu: 1, cpuRequest: 0.1, cpuShares: 102 }],
    ['cpu: 0.0001', '', { cpu: 0.001, cpuShares: 2 }],
    ['memory: 1Gi', 'cpu: 0', { memoryBytes: 1024 ** 3, cpuRequest: 0, cpuShares: 2 }],
  ];
  for (const [limits, requests, expected] of cases) {
    const text = [
      'apiVersion: v1',
      'kind: Pod',
      'metadata: {name: q}',
      'spec:',
      '  containers:',
      '  - name: c',
      '    image: busybox',
      '    command: [sh]',
      '    resources:',
      `      limits: {${limits}}`,
      ...(requests ? [`      requests: {${requests}}`] : []),
    ].join('\n');
    t.deepEqual(parseManifest(text).pods[0]!.containers[0]!.resources, expected, `${limits} ${requests}`);
  }
});

test('YAML anchors and aliases are followed', (t) => {
  const text = [
    'apiVersion: v1',
    'kind: Pod',
    'metadata: {name: anchors}',
    'spec:',
    '  containers:',
    '  - name: a',
    '    image: busybox',
    '    command: &cmd [sleep, "10"]',
    '  - name: b',
    '    image: busybox',
    '    command: *cmd',
  ].join('\n');
  t.deepEqual(
    parseManifest(text).pods[0]!.containers.map((c) => c.command),
    [
      ['sleep', '10'],
      ['sleep', '10'],
    ],
  );
});
