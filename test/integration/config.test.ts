/**
 * Configuration as Kubernetes delivers it, through the CLI with real runc: the docs' examples unedited, ConfigMaps and
 * Secrets (env, envFrom, volumes in the kubelet's layout), the downward API, subPath, memory-backed emptyDirs, workloads.
 */
import test from 'ava';
import { lstat, readlink, stat } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { eventually, stateRoot } from '../helpers/host.js';
import { nspod, writeManifest } from '../helpers/cli.js';
import { tempDir, toolboxImageArchive, toolboxTarball } from '../helpers/images.js';
import { assertNoLeftovers } from '../helpers/leftovers.js';

/** The docs' page "Define Dependent Environment Variables", its manifest as published. */
const DEPENDENT_ENVARS = `apiVersion: v1
kind: Pod
metadata:
  name: dependent-envars-demo
spec:
  containers:
  - name: dependent-envars-demo
    args:
    - while true; do echo -en '\\n'; echo SERVICE_ADDRESS;printenv SERVICE_ADDRESS;echo UNCHANGE_REFERENCE;printenv UNCHANGE_REFERENCE;echo ESCAPED_REFERENCE;printenv ESCAPED_REFERENCE; sleep 30; done;
    command:
        - sh
        - -c
    image: busybox
    env:
    - name: SERVICE_PORT
      value: "80"
    - name: SERVICE_IP
      value: "172.17.0.1"
    - name: UNCHANGED_REFERENCE
      value: "$(PROTOCOL)://$(SERVICE_IP):$(SERVICE_PORT)"
    - name: PROTOCOL
      value: "https"
    - name: SERVICE_ADDRESS
      value: "$(PROTOCOL)://$(SERVICE_IP):$(SERVICE_PORT)"
    - name: ESCAPED_REFERENCE
      value: "$$(PROTOCOL)://$(SERVICE_IP):$(SERVICE_PORT)"
`;

test('the docs dependent-envars pod, unedited: $(VAR) resolved, left as written, and escaped, as the docs print them', async (t) => {
  const root = await stateRoot(t, 'cfg');
  const file = await writeManifest(root, DEPENDENT_ENVARS);
  const run = await nspod(root, ['run', '-d', file]);
  t.is(run.exitCode, 0, run.stderr);
  const env = (await nspod(root, ['exec', 'dependent-envars-demo', '--', 'printenv'])).stdout;
  t.regex(env, /^SERVICE_ADDRESS=https:\/\/172\.17\.0\.1:80$/m);
  t.regex(env, /^UNCHANGED_REFERENCE=\$\(PROTOCOL\):\/\/172\.17\.0\.1:80$/m);
  t.regex(env, /^ESCAPED_REFERENCE=\$\(PROTOCOL\):\/\/172\.17\.0\.1:80$/m);
  const logs = await eventually(async () => {
    const out = (await nspod(root, ['logs', 'dependent-envars-demo'])).stdout;
    return out.includes('ESCAPED_REFERENCE\n$(PROTOCOL)') ? out : undefined;
  });
  t.is(logs, '\nSERVICE_ADDRESS\nhttps://172.17.0.1:80\nUNCHANGE_REFERENCE\nESCAPED_REFERENCE\n$(PROTOCOL)://172.17.0.1:80\n');
  t.is((await nspod(root, ['rm', '-f', 'dependent-envars-demo'])).exitCode, 0);
  await assertNoLeftovers(t, root);
});

const CONFIG_POD = (key = 'special.how', optional = '') => `apiVersion: v1
kind: ConfigMap
metadata:
  name: special-config
data:
  special.how: very
  SPECIAL_TYPE: charm
  game.properties: |
    enemies=aliens
    lives=3
---
apiVersion: v1
kind: Pod
metadata:
  name: cfg-pod
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: app
    image: busybox
    command: ["sleep", "3600"]
    env:
    - name: SPECIAL_LEVEL_KEY
      valueFrom:
        configMapKeyRef:
          name: special-config
          key: ${key}${optional}
    envFrom:
    - configMapRef:
        name: special-config
      prefix: CFG_
    volumeMounts:
    - name: config
      mountPath: /etc/config
    - name: remapped
      mountPath: /etc/remapped
    - name: config
      mountPath: /etc/game.properties
      subPath: game.properties
  volumes:
  - name: config
    configMap:
      name: special-config
  - name: remapped
    configMap:
      name: special-config
      defaultMode: 0440
      items:
      - key: game.properties
        path: conf/game.conf
        mode: 0400
`;

test('a ConfigMap and a Pod in one file: configMapKeyRef, envFrom with a prefix, volume files and modes, items, ..data, subPath', async (t) => {
  const root = await stateRoot(t, 'cfg');
  const file = await writeManifest(root, CONFIG_POD());
  const run = await nspod(root, ['run', '-d', file]);
  t.is(run.exitCode, 0, run.stderr);
  t.is(run.stdout, 'cfg-pod\n');
  t.regex(run.stderr, /ConfigMap special-config created/);
  const sh = async (script: string) => (await nspod(root, ['exec', 'cfg-pod', '--', 'sh', '-c', script])).stdout;
  const env = await sh('printenv');
  t.regex(env, /^SPECIAL_LEVEL_KEY=very$/m);
  t.regex(env, /^CFG_SPECIAL_TYPE=charm$/m);
  t.notRegex(env, /^CFG_special\.how/m, 'a key is a variable name only if it is one (dots are allowed, so it is)');
  t.is(await sh('cat /etc/config/special.how'), 'very');
  t.is(await sh('stat -c %a /etc/config/..data/special.how; stat -c %a /etc/remapped/conf/game.conf'), '644\n400\n');
  t.is(await sh('ls /etc/remapped'), 'conf\n');
  t.is(await sh('cat /etc/game.properties'), 'enemies=aliens\nlives=3\n', 'subPath mounts the one file');
  t.regex(await sh('touch /etc/config/x 2>&1; echo $?'), /Read-only file system\n1\n$/);
  // The kubelet's layout, on the host: each key a symlink through ..data to a timestamped dir.
  const dir = path.join(root, 'pods', 'cfg-pod', 'volumes', 'config');
  t.is(await readlink(path.join(dir, 'special.how')), '..data/special.how');
  t.regex(await readlink(path.join(dir, '..data')), /^\.\.\d{4}_\d\d_\d\d_\d\d_\d\d_\d\d\.\d+$/);
  t.true((await lstat(path.join(dir, '..data'))).isSymbolicLink());
  t.is(((await stat(path.join(dir, 'special.how'))).mode & 0o777).toString(8), '644');
  const got = await nspod(root, ['get', 'configmaps']);
  t.regex(got.stdout, /^NAME\s+DATA\nspecial-config\s+3\n$/);
  t.is((await nspod(root, ['down', '-t', '0', file])).stdout, 'pod/cfg-pod\nconfigmap/special-config\n');
  t.is((await nspod(root, ['get', 'configmaps'])).stdout, 'NAME   DATA\n');
  await assertNoLeftovers(t, root);
});

test('a missing ConfigMap key fails the pod naming it and leaves nothing; optional: true starts without it', async (t) => {
  const root = await stateRoot(t, 'cfg');
  const podOnly = await writeManifest(root, CONFIG_POD().split('---\n')[1]!, 'pod-only.yaml');
  const gone = await nspod(root, ['run', '-d', podOnly]);
  t.is(gone.exitCode, 1);
  t.regex(
    gone.stderr,
    /nspod: container app: envFrom: ConfigMap special-config does not exist \(create it \(nspod create configmap special-config/,
  );
  await assertNoLeftovers(t, root);
  const bad = await nspod(root, ['run', '-d', await writeManifest(root, CONFIG_POD('nope'))]);
  t.is(bad.exitCode, 1);
  t.regex(
    bad.stderr,
    /nspod: container app: env SPECIAL_LEVEL_KEY: ConfigMap special-config has no key "nope" \(add the key, or mark the reference optional: true\)/,
  );
  await assertNoLeftovers(t, root);
  const ok = await nspod(root, ['run', '-d', await writeManifest(root, CONFIG_POD('nope', '\n          optional: true'))]);
  t.is(ok.exitCode, 0, ok.stderr);
  t.notRegex((await nspod(root, ['exec', 'cfg-pod', '--', 'printenv'])).stdout, /SPECIAL_LEVEL_KEY/);
  t.is((await nspod(root, ['rm', '-f', 'cfg-pod'])).exitCode, 0);
  await assertNoLeftovers(t, root);
});

const SECRET_VALUE = 'Sup3r-s3cret-V4lue';
const SECRETS = `apiVersion: v1
kind: Secret
metadata:
  name: from-string
type: Opaque
stringData:
  password: ${SECRET_VALUE}
---
apiVersion: v1
kind: Secret
metadata:
  name: from-data
data:
  username: ${Buffer.from('admin').toString('base64')}
  token: ${Buffer.from(`${SECRET_VALUE}-token`).toString('base64')}
---
apiVersion: v1
kind: Pod
metadata:
  name: sec-pod
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: app
    image: busybox
    command: ["sh", "-c", "echo started; sleep 3600"]
    args: []
    env:
    - name: PASSWORD
      valueFrom:
        secretKeyRef: {name: from-string, key: password}
    envFrom:
    - secretRef: {name: from-data}
    volumeMounts:
    - name: creds
      mountPath: /etc/creds
      readOnly: true
  volumes:
  - name: creds
    secret:
      secretName: from-data
      defaultMode: 0400
`;

test('Secrets from stringData and data reach env and a 0400 file on a tmpfs; the value is in no output of inspect, dry run, events, errors', async (t) => {
  const root = await stateRoot(t, 'cfg');
  const file = await writeManifest(root, SECRETS);
  const dry = await nspod(root, ['run', '--dry-run', file]);
  t.is(dry.exitCode, 0, dry.stderr);
  t.regex(dry.stdout, /^PASSWORD=<secret>$/m, 'the dry run shows the variable, masked');
  t.regex(dry.stdout, /# volume creds: token \(mode 0400\)\n<secret>\n/);
  const run = await nspod(root, ['run', '-d', file]);
  t.is(run.exitCode, 0, run.stderr);
  const sh = async (script: string) => (await nspod(root, ['exec', 'sec-pod', '--', 'sh', '-c', script])).stdout;
  t.is(await sh('printenv PASSWORD username'), `${SECRET_VALUE}\nadmin\n`);
  t.is(await sh('cat /etc/creds/token; echo; stat -c %a /etc/creds/..data/token'), `${SECRET_VALUE}-token\n400\n`);
  const dir = path.join(root, 'pods', 'sec-pod', 'volumes', 'creds');
  t.is((await execa('findmnt', ['-n', '-o', 'FSTYPE', dir])).stdout, 'tmpfs');
  t.is(((await stat(path.join(root, 'config', 'secrets', 'from-string.json'))).mode & 0o777).toString(8), '600');
  // A pod whose key is missing fails, and says so without the value of any other key.
  const broken = await nspod(root, [
    'run',
    '-d',
    await writeManifest(root, SECRETS.replace('key: password', 'key: nope').replace('sec-pod', 'sec-two'), 'b.yaml'),
  ]);
  t.is(broken.exitCode, 1);
  const outputs = [
    dry.stdout + dry.stderr,
    run.stdout + run.stderr,
    broken.stderr,
    (await nspod(root, ['inspect', 'sec-pod'])).stdout,
    (await nspod(root, ['events', 'sec-pod'])).stdout,
    (await nspod(root, ['events', '-o', 'json'])).stdout,
    (await nspod(root, ['ps', '-o', 'json'])).stdout,
    (await nspod(root, ['get', 'secrets'])).stdout,
    (await nspod(root, ['get', 'secrets', '-o', 'json'])).stdout,
    (await nspod(root, ['logs', 'sec-pod'])).stdout,
  ];
  for (const o of outputs) {
    t.false(o.includes(SECRET_VALUE), o);
    t.false(o.includes(Buffer.from(SECRET_VALUE).toString('base64')), o);
  }
  t.regex(outputs[7]!, /^from-data\s+Opaque\s+2$/m);
  t.is((await nspod(root, ['down', '-t', '0', file])).exitCode, 0);
  await assertNoLeftovers(t, root);
});

test('downward API: a downwardAPI volume of labels, resourceFieldRef limits.memory in Mi; the docs dapi-envars pods unedited', async (t) => {
  const root = await stateRoot(t, 'cfg');
  const work = await tempDir(t, 'cfg-images');
  const imageRoot = path.join(work, 'images');
  const cli = (args: string[]) => nspod(root, ['--image-root', imageRoot, ...args]);
  // The docs' image, here the toolbox under its name (nothing is pulled in the tests).
  t.is((await cli(['image', 'import', 'registry.k8s.io/busybox:1.27.2', await toolboxTarball(work, false)])).exitCode, 0);
  const own = await writeManifest(
    root,
    `apiVersion: v1
kind: Pod
metadata:
  name: kubernetes-downwardapi-volume-example
  labels: {zone: us-est-coast, cluster: test-cluster1, rack: rack-22}
  annotations: {build: two, builder: john-doe}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: client-container
    image: busybox
    command: ["sleep", "3600"]
    resources:
      limits: {memory: 64Mi}
    env:
    - name: MY_MEM_LIMIT
      valueFrom:
        resourceFieldRef: {resource: limits.memory, divisor: 1Mi}
    - name: MY_NODE_NAME
      valueFrom:
        fieldRef: {fieldPath: spec.nodeName}
    volumeMounts:
    - {name: podinfo, mountPath: /etc/podinfo}
  volumes:
  - name: podinfo
    downwardAPI:
      items:
      - path: labels
        fieldRef: {fieldPath: metadata.labels}
      - path: annotations
        fieldRef: {fieldPath: metadata.annotations}
      - path: mem_limit
        resourceFieldRef: {containerName: client-container, resource: limits.memory, divisor: 1Mi}
`,
  );
  const run = await cli(['run', '-d', own]);
  t.is(run.exitCode, 0, run.stderr);
  const sh = async (script: string) => (await cli(['exec', 'kubernetes-downwardapi-volume-example', '--', 'sh', '-c', script])).stdout;
  t.is(await sh('cat /etc/podinfo/labels'), 'cluster="test-cluster1"\nrack="rack-22"\nzone="us-est-coast"');
  t.is(await sh('cat /etc/podinfo/annotations; echo; cat /etc/podinfo/mem_limit'), 'build="two"\nbuilder="john-doe"\n64');
  t.is(await sh('printenv MY_MEM_LIMIT MY_NODE_NAME'), `64\n${(await execa('hostname')).stdout}\n`);

  const container = await writeManifest(
    root,
    `---
{
  apiVersion: "v1",
  kind: "Pod",
  metadata: {
    name: "dapi-envars-resourcefieldref",
  },
  spec: {
    containers: [{
      name: "test-container",
      image: "registry.k8s.io/busybox:1.27.2",
      command: [
        "sh",
        "-c",
      ],
      args: [
        "while true; do echo -en '\\\\n'; printenv MY_CPU_REQUEST MY_CPU_LIMIT; printenv MY_MEM_REQUEST MY_MEM_LIMIT; sleep 10; done;",
      ],
      resources: {
        requests: {
          memory: "32Mi",
          cpu: "125m",
        },
        limits: {
          memory: "64Mi",
          cpu: "250m",
        },
      },
      env: [{
        name: "MY_CPU_REQUEST",
        valueFrom: {
          resourceFieldRef: {
            containerName: "test-container",
            resource: "requests.cpu",
          },
        },
      }, {
        name: "MY_CPU_LIMIT",
        valueFrom: {
          resourceFieldRef: {
            containerName: "test-container",
            resource: "limits.cpu",
          },
        },
      }, {
        name: "MY_MEM_REQUEST",
        valueFrom: {
          resourceFieldRef: {
            containerName: "test-container",
            resource: "requests.memory",
          },
        },
      }, {
        name: "MY_MEM_LIMIT",
        valueFrom: {
          resourceFieldRef: {
            containerName: "test-container",
            resource: "limits.memory",
          },
        },
      }],
    }],
    restartPolicy: "Never",
  },
}
`,
    'dapi-envars-container.yaml',
  );
  t.is((await cli(['run', '-d', container])).exitCode, 0);
  const logs = await eventually(async () => {
    const out = (await cli(['logs', 'dapi-envars-resourcefieldref'])).stdout;
    return out.split('\n').length > 4 ? out : undefined;
  });
  t.is(logs.split('\n').slice(0, 5).join('\n'), '\n1\n1\n33554432\n67108864', 'the docs print 1, 1, 33554432, 67108864');
  for (const pod of ['kubernetes-downwardapi-volume-example', 'dapi-envars-resourcefieldref'])
    t.is((await cli(['rm', '-f', pod])).exitCode, 0);
  await assertNoLeftovers(t, root);
});

test('emptyDir medium Memory with sizeLimit 1Mi is a tmpfs of that size: a 2 MB write fails', async (t) => {
  const root = await stateRoot(t, 'cfg');
  const file = await writeManifest(
    root,
    `apiVersion: v1
kind: Pod
metadata: {name: mem}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: app
    image: busybox
    command: ["sleep", "3600"]
    volumeMounts: [{name: cache-volume, mountPath: /cache}]
  volumes:
  - name: cache-volume
    emptyDir:
      sizeLimit: 1Mi
      medium: Memory
`,
  );
  t.is((await nspod(root, ['run', '-d', file])).exitCode, 0);
  const sh = async (script: string) => await nspod(root, ['exec', 'mem', '--', 'sh', '-c', script]);
  t.is((await sh('dd if=/dev/zero of=/cache/small bs=1024 count=512 2>/dev/null')).exitCode, 0);
  const big = await sh('dd if=/dev/zero of=/cache/big bs=1024 count=2048');
  t.is(big.exitCode, 1);
  t.regex(big.stderr, /No space left on device/);
  t.regex((await sh('stat -f -c %T /cache')).stdout, /tmpfs/);
  t.is((await nspod(root, ['rm', '-f', 'mem'])).exitCode, 0);
  await assertNoLeftovers(t, root);
});

const WORKLOADS = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      terminationGracePeriodSeconds: 0
      containers:
      - name: web
        image: busybox
        command: ["sleep", "3600"]
---
apiVersion: batch/v1
kind: Job
metadata:
  name: flaky
spec:
  backoffLimit: 2
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: try
        image: busybox
        command: ["sh", "-c", "echo attempt; exit 3"]
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports: [{port: 80}]
`;

test('a Deployment of 3 replicas runs one pod with a warning; a failing Job with backoffLimit 2 fails after 3 attempts; down leaves nothing', async (t) => {
  const root = await stateRoot(t, 'cfg');
  const file = await writeManifest(root, WORKLOADS);
  const run = await nspod(root, ['run', '-d', file]);
  t.is(run.exitCode, 0, run.stderr);
  t.is(run.stdout, 'web\nflaky\n');
  t.regex(run.stderr, /spec\.replicas \(line 6\): Deployment asks for 3: nspod runs one pod for it/);
  t.regex(run.stderr, /kind \(line 34\): "Service" is skipped/);
  const waited = await nspod(root, ['wait', 'flaky', '--for=exit', '--timeout=60s']);
  t.is(waited.exitCode, 3, waited.stderr);
  t.is(waited.stdout, 'flaky exited: try=3\n');
  const status = JSON.parse((await nspod(root, ['inspect', 'flaky'])).stdout);
  t.is(status.status.containers[0].restartCount, 2, 'three attempts: the first and two retries');
  t.regex((await nspod(root, ['events', 'flaky'])).stdout, /BackoffLimitExceeded/);
  t.is((await nspod(root, ['logs', 'flaky'])).stdout, 'attempt\n', 'the last attempt');
  t.is((await nspod(root, ['logs', '-p', 'flaky'])).stdout, 'attempt\n', 'and the one before it');
  t.regex((await nspod(root, ['ps'])).stdout, /^web\s+1\/1\s+Running/m);
  t.is((await nspod(root, ['down', '-t', '0', file])).stdout, 'pod/web\npod/flaky\n');
  await assertNoLeftovers(t, root);
});

test('several files and stdin in one run; --replace replaces a pod of the same name; create and rm configmap and secret', async (t) => {
  const root = await stateRoot(t, 'cfg');
  t.is(
    (await nspod(root, ['create', 'configmap', 'lit', '--from-literal=greeting=hello', '--from-literal=who=world'])).stdout,
    'configmap/lit created\n',
  );
  t.is((await nspod(root, ['create', 'secret', 'generic', 'tok', '--from-literal=token=abc'])).exitCode, 0);
  t.regex((await nspod(root, ['create', 'configmap', 'lit', '--from-literal=a=b'])).stderr, /ConfigMap lit already exists/);
  const pod = (greeting: string) => `apiVersion: v1
kind: Pod
metadata: {name: greeter}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: app
    image: busybox
    command: ["sh", "-c", "echo $(GREETING) $(who) ${greeting}; sleep 3600"]
    env:
    - name: GREETING
      valueFrom: {configMapKeyRef: {name: lit, key: greeting}}
    envFrom: [{configMapRef: {name: lit}}, {secretRef: {name: tok}}]
`;
  const extra = await writeManifest(root, 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra}\ndata: {k: v}\n', 'extra.yaml');
  const first = await nspod(root, ['run', '-d', extra, '-'], { input: pod('one') });
  t.is(first.exitCode, 0, first.stderr);
  const logs = () => nspod(root, ['logs', 'greeter']).then((r) => r.stdout);
  t.is(await eventually(async () => ((await logs()) === '' ? undefined : logs())), 'hello world one\n');
  t.regex((await nspod(root, ['run', '-d', '-'], { input: pod('two') })).stderr, /pod "greeter" already exists/);
  const again = await nspod(root, ['run', '-d', '--replace', '-'], { input: pod('two') });
  t.is(again.exitCode, 0, again.stderr);
  t.is(await eventually(async () => ((await logs()) === '' ? undefined : logs())), 'hello world two\n');
  t.regex((await nspod(root, ['get', 'configmaps'])).stdout, /^extra\s+1\nlit\s+2\n$/m);
  t.is((await nspod(root, ['rm', 'configmap', 'lit', 'extra'])).stdout, 'configmap/lit\nconfigmap/extra\n');
  t.is((await nspod(root, ['rm', 'secret', 'tok'])).exitCode, 0);
  t.is((await nspod(root, ['rm', '-f', 'greeter'])).exitCode, 0);
  await assertNoLeftovers(t, root);
});

test('the docs redis-pod with its ConfigMap (two files) and the envars pod, unedited, on stand-ins for their images', async (t) => {
  const root = await stateRoot(t, 'cfg');
  const work = await tempDir(t, 'cfg-images');
  const imageRoot = path.join(work, 'images');
  const cli = (args: string[], input?: string) => nspod(root, ['--image-root', imageRoot, ...args], input === undefined ? {} : { input });
  // redis:5's entrypoint takes a .conf argument: here it prints the file it was given and stays up.
  const redis = await toolboxImageArchive(work, 'redis', { entrypoint: ['docker-entrypoint.sh'], cmd: ['redis-server'] }, [
    { path: 'usr/local/bin/docker-entrypoint.sh', content: '#!/bin/sh\necho "redis-server $1"; cat "$1"; exec sleep 3600\n', mode: 0o755 },
  ]);
  const hello = await toolboxImageArchive(work, 'hello', { entrypoint: ['sleep', '3600'] });
  t.is((await cli(['image', 'import', 'redis:5', redis])).exitCode, 0);
  t.is((await cli(['image', 'import', 'gcr.io/google-samples/hello-app:2.0', hello])).exitCode, 0);
  const config = await writeManifest(
    root,
    `---
{
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: {
    name: "example-redis-config",
  },
  data: {
    redis-config: "\\
       maxmemory 2mb\\n\\
       maxmemory-policy allkeys-lru\\n\\
      ",
  },
}
`,
    'example-redis-config.yaml',
  );
  const pod = `apiVersion: v1
kind: Pod
metadata:
  name: redis
spec:
  containers:
  - name: redis
    image: redis:5
    env:
    - name: MASTER
      value: "true"
    ports:
    - containerPort: 6379
    resources:
      limits:
        cpu: "0.1"
    volumeMounts:
    - mountPath: /data
      name: data
    - mountPath: /usr/local/etc/redis
      name: config
    args:
    - /usr/local/etc/redis/redis.conf
  volumes:
    - name: data
      emptyDir: {}
    - name: config
      configMap:
        name: example-redis-config
        items:
        - key: redis-config
          path: redis.conf
`;
  const run = await cli(['run', '-d', config, '-'], pod);
  t.is(run.exitCode, 0, run.stderr);
  const logs = await eventually(async () => {
    const out = (await cli(['logs', 'redis'])).stdout;
    return out.includes('allkeys-lru') ? out : undefined;
  });
  t.is(logs, 'redis-server /usr/local/etc/redis/redis.conf\nmaxmemory 2mb\nmaxmemory-policy allkeys-lru\n');
  const envars = await writeManifest(
    root,
    `---
{
  apiVersion: "v1",
  kind: "Pod",
  metadata: {
    name: "envar-demo",
    labels: {
      purpose: "demonstrate-envars",
    },
  },
  spec: {
    containers: [{
      name: "envar-demo-container",
      image: "gcr.io/google-samples/hello-app:2.0",
      env: [{
        name: "DEMO_GREETING",
        value: "Hello from the environment",
      }, {
        name: "DEMO_FAREWELL",
        value: "Such a sweet sorrow",
      }],
    }],
  },
}
`,
    'envars.yaml',
  );
  t.is((await cli(['run', '-d', envars])).exitCode, 0);
  const env = (await cli(['exec', 'envar-demo', '--', 'printenv'])).stdout;
  t.regex(env, /^DEMO_GREETING=Hello from the environment$/m);
  t.regex(env, /^DEMO_FAREWELL=Such a sweet sorrow$/m);
  for (const name of ['redis', 'envar-demo']) t.is((await cli(['rm', '-f', name])).exitCode, 0);
  t.is((await cli(['down', config])).stdout, 'configmap/example-redis-config\n');
  await assertNoLeftovers(t, root);
});
