import test from 'ava';
import { isNspodError } from '../../src/errors.js';
import { keyFiles, type ConfigObject } from '../../src/spec/config.js';
import { formatMap, resolveFieldRef, resolveResourceFieldRef, type PodFacts } from '../../src/spec/downward.js';
import { resolveContainerEnv, type ConfigLookup } from '../../src/spec/env.js';
import { expandReferences, lookupIn } from '../../src/spec/expand.js';
import { podSpecProblems, type ContainerSpec, type PodSpec } from '../../src/spec/spec.js';
import { volumeFiles } from '../../src/spec/volumes.js';

const vars = lookupIn({ A: 'a', B: 'b', EMPTY: '' });

test('$(VAR): known names expand, unknown ones stay as written, $$ escapes, a lone $ and an open $( are text', (t) => {
  t.is(expandReferences('$(A)-$(B)', vars), 'a-b');
  t.is(expandReferences('$(C)://$(A)', vars), '$(C)://a');
  t.is(expandReferences('$$(A)', vars), '$(A)');
  t.is(expandReferences('$$$(A)', vars), '$a');
  t.is(expandReferences('$$$$', vars), '$$');
  t.is(expandReferences('cost: $5, $', vars), 'cost: $5, $');
  t.is(expandReferences('$(A', vars), '$(A');
  t.is(expandReferences('$(EMPTY)x', vars), 'x');
  t.is(expandReferences('$()', vars), '$()');
  t.is(expandReferences('$A $(A)', vars), '$A a');
  t.is(expandReferences('', vars), '');
});

const facts = (spec: PodSpec): PodFacts => ({
  spec,
  uid: 'u-1',
  podIPs: ['198.18.0.5'],
  nodeName: 'node-1',
  hostIPs: ['192.0.2.10', '192.0.2.11'],
  cpus: 4,
  memoryBytes: 8 * 2 ** 30,
});
const pod = (c: Partial<ContainerSpec> = {}, extra: Partial<PodSpec> = {}): PodSpec => ({
  name: 'p',
  labels: { app: 'web', tier: 'front' },
  annotations: { 'example.com/build': '42' },
  containers: [{ name: 'c', image: 'busybox', command: ['sh'], ...c }],
  ...extra,
});
const objects: ConfigObject[] = [
  { kind: 'ConfigMap', name: 'cfg', data: { level: 'very', 'bad key': 'x', '1st': 'one', mode: 'fast' }, binaryData: { bin: 'AAE=' } },
  { kind: 'Secret', name: 'sec', data: { password: Buffer.from('s3cr3t').toString('base64') } },
];
const lookup: ConfigLookup = (kind, name) => objects.find((o) => o.kind === kind && o.name === name);

test('the downward API: metadata, labels and annotations, node and pod addresses; hostNetwork pods have the host addresses', (t) => {
  const f = facts(pod());
  const field = (fieldPath: string) => resolveFieldRef({ fieldPath }, f);
  t.is(field('metadata.name'), 'p');
  t.is(field('metadata.namespace'), 'default');
  t.is(field('metadata.uid'), 'u-1');
  t.is(field("metadata.labels['app']"), 'web');
  t.is(field("metadata.annotations['example.com/build']"), '42');
  t.is(field("metadata.labels['none']"), '');
  t.is(field('metadata.labels'), 'app="web"\ntier="front"');
  t.is(field('spec.nodeName'), 'node-1');
  t.is(field('spec.serviceAccountName'), 'default');
  t.is(field('status.podIP'), '198.18.0.5');
  t.is(field('status.hostIPs'), '192.0.2.10,192.0.2.11');
  t.is(resolveFieldRef({ fieldPath: 'status.podIP' }, facts(pod({}, { hostNetwork: true }))), '192.0.2.10');
  t.is(formatMap({ b: 'say "hi"', a: '' }), 'a=""\nb="say \\"hi\\""');
});

test('resourceFieldRef: limits default to the node, requests to their limit (else 0); divided and rounded up', (t) => {
  const f = facts(pod());
  const c = { resources: { cpu: 0.25, cpuRequest: 0.125, memoryBytes: 64 * 2 ** 20, memoryRequestBytes: 32 * 2 ** 20 } };
  const r = (resource: string, divisor?: number, on = c) => resolveResourceFieldRef({ resource, ...(divisor ? { divisor } : {}) }, on, f);
  // The docs' dapi-envars-container output: 1, 1, 33554432, 67108864.
  t.deepEqual([r('requests.cpu'), r('limits.cpu'), r('requests.memory'), r('limits.memory')], ['1', '1', '33554432', '67108864']);
  t.is(r('limits.cpu', 0.001), '250');
  t.is(r('limits.memory', 2 ** 20), '64');
  t.is(r('limits.cpu', 1, {} as typeof c), '4');
  t.is(r('limits.memory', 2 ** 30, {} as typeof c), '8');
  t.is(r('requests.cpu', 0.001, { resources: { cpu: 0.5 } } as typeof c), '500');
  t.is(r('requests.memory', 1, {} as typeof c), '0');
});

test('env: envFrom first (prefix, bad names skipped with a warning, data only), then env in order, expanded against what came before', (t) => {
  const spec = pod({
    envFrom: [
      { configMapRef: { name: 'cfg' }, prefix: 'CFG_' },
      { configMapRef: { name: 'cfg' } },
      { secretRef: { name: 'none', optional: true } },
    ],
    env: {
      LATER: '$(FIRST)',
      FIRST: 'one',
      REF: '$(FIRST)/$(CFG_level)/$(mode)',
      LEVEL: { configMapKeyRef: { name: 'cfg', key: 'level' } },
      PASSWORD: { secretKeyRef: { name: 'sec', key: 'password' } },
      GONE: { configMapKeyRef: { name: 'cfg', key: 'nope', optional: true } },
      POD: { fieldRef: { fieldPath: 'metadata.name' } },
      MEM: { resourceFieldRef: { resource: 'limits.memory', divisor: 2 ** 30 } },
    },
    command: ['echo', '$(PASSWORD)', '$$(FIRST)'],
    args: ['$(NOPE)'],
  });
  const r = resolveContainerEnv(spec, spec.containers[0]!, facts(spec), lookup);
  t.is(r.env.LATER, '$(FIRST)');
  t.is(r.env.REF, 'one/very/fast');
  t.is(r.env.LEVEL, 'very');
  t.is(r.env.PASSWORD, 's3cr3t');
  t.false('GONE' in r.env, 'an optional reference that finds nothing leaves the variable out');
  t.is(r.env.POD, 'p');
  t.is(r.env.MEM, '8');
  t.is(r.env.CFG_mode, 'fast');
  t.false('CFG_bin' in r.env, 'binaryData is not env');
  t.false('1st' in r.env, 'an invalid name is skipped');
  t.is(r.env.CFG_1st, 'one', 'a prefix can make a key a name');
  t.deepEqual(r.command, ['echo', 's3cr3t', '$(FIRST)']);
  t.deepEqual(r.args, ['$(NOPE)']);
  t.deepEqual(r.secretNames, ['PASSWORD']);
  t.deepEqual(r.warnings, [
    'container c: keys [CFG_bad key] from the envFrom ConfigMap cfg were skipped: they are not valid environment variable names',
    'container c: keys [1st, bad key] from the envFrom ConfigMap cfg were skipped: they are not valid environment variable names',
  ]);
});

test('a missing ConfigMap, Secret or key is CONFIG_NOT_FOUND naming it; optional ones are passed over', (t) => {
  const missing = (env: ContainerSpec['env'], envFrom?: ContainerSpec['envFrom']) => {
    const spec = pod({ env, ...(envFrom ? { envFrom } : {}) });
    return t.throws(() => resolveContainerEnv(spec, spec.containers[0]!, facts(spec), lookup));
  };
  const e1 = missing({ X: { configMapKeyRef: { name: 'other', key: 'k' } } });
  t.true(isNspodError(e1, 'CONFIG_NOT_FOUND'));
  t.is(e1?.message, 'container c: env X: ConfigMap other does not exist');
  t.is(missing({ X: { secretKeyRef: { name: 'sec', key: 'user' } } })?.message, 'container c: env X: Secret sec has no key "user"');
  t.is(missing({}, [{ secretRef: { name: 'nope' } }])?.message, 'container c: envFrom: Secret nope does not exist');
});

test('key-to-path: every key by its name, or items only at their paths; modes from items, defaultMode, else 0644', (t) => {
  const cfg = objects[0]!;
  const all = keyFiles(cfg, undefined, undefined, false, 'v');
  t.deepEqual(
    all.map((f) => [f.path, f.mode.toString(8), f.content.toString('base64')]),
    [
      ['level', '644', Buffer.from('very').toString('base64')],
      ['bad key', '644', 'eA=='],
      ['1st', '644', 'b25l'],
      ['mode', '644', 'ZmFzdA=='],
      ['bin', '644', 'AAE='],
    ],
  );
  const some = keyFiles(
    cfg,
    [
      { key: 'level', path: 'conf/level.txt', mode: 0o400 },
      { key: 'mode', path: 'mode' },
    ],
    0o440,
    false,
    'v',
  );
  t.deepEqual(
    some.map((f) => [f.path, f.mode.toString(8)]),
    [
      ['conf/level.txt', '400'],
      ['mode', '440'],
    ],
  );
  t.is(
    t.throws(() => keyFiles(cfg, [{ key: 'nope', path: 'x' }], undefined, false, 'volume v'))?.message,
    'volume v: ConfigMap cfg has no key "nope"',
  );
  t.deepEqual(keyFiles(cfg, [{ key: 'nope', path: 'x' }], undefined, true, 'v'), []);
  t.true(keyFiles(objects[1]!, undefined, 0o400, false, 'v')[0]!.secret);
});

test('volume files: downwardAPI items, projected sources in one dir; the spec rules refuse what Kubernetes refuses', (t) => {
  const spec = pod(
    { resources: { memoryBytes: 64 * 2 ** 20 } },
    {
      volumes: [
        {
          name: 'info',
          downwardAPI: {
            items: [
              { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
              { path: 'mem', resourceFieldRef: { containerName: 'c', resource: 'limits.memory', divisor: 2 ** 20 }, mode: 0o400 },
            ],
          },
        },
        {
          name: 'all',
          projected: {
            defaultMode: 0o440,
            sources: [
              { configMap: { name: 'cfg', items: [{ key: 'level', path: 'level' }] } },
              { secret: { name: 'sec' } },
              { downwardAPI: { items: [{ path: 'name', fieldRef: { fieldPath: 'metadata.name' } }] } },
            ],
          },
        },
      ],
    },
  );
  t.deepEqual(podSpecProblems(spec), []);
  const info = volumeFiles(spec.volumes![0]!, spec, facts(spec), lookup);
  t.deepEqual(
    info.map((f) => [f.path, f.mode.toString(8), f.content.toString()]),
    [
      ['labels', '644', 'app="web"\ntier="front"'],
      ['mem', '400', '64'],
    ],
  );
  const all = volumeFiles(spec.volumes![1]!, spec, facts(spec), lookup);
  t.deepEqual(
    all.map((f) => [f.path, f.mode.toString(8), f.content.toString()]),
    [
      ['level', '440', 'very'],
      ['password', '440', 's3cr3t'],
      ['name', '440', 'p'],
    ],
  );
  const bad = podSpecProblems(
    pod(
      { env: { IP: { fieldRef: { fieldPath: 'status.nope' } }, M: { resourceFieldRef: { resource: 'limits.memory', divisor: 3 } } } },
      {
        volumes: [
          { name: 'a', downwardAPI: { items: [{ path: '../x', fieldRef: { fieldPath: 'status.podIP' } }] } },
          { name: 'b', configMap: { name: 'cfg', items: [{ key: 'k', path: 'p', mode: 0o1000 }] } },
          { name: 'c', emptyDir: { medium: 'Memory', sizeLimitBytes: 2 ** 20 } },
        ],
      },
    ),
  ).map((p) => `${p.field}: ${p.why.split(':')[0]}`);
  t.deepEqual(bad, [
    'volumes[0].downwardAPI.items[0].path: "../x" must not contain \'..\'',
    'volumes[0].downwardAPI.items[0].fieldRef.fieldPath: "status.podIP" is not a field the downward API gives a volume file',
    'volumes[1].configMap.items[0].mode: must be a file mode between 0 and 0777 (511), not 512',
    'containers[0].env.IP.fieldRef.fieldPath: "status.nope" is not a field the downward API gives an env var',
    'containers[0].env.M.resourceFieldRef.divisor: 3 is not a divisor Kubernetes allows here',
  ]);
});
