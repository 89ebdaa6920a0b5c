import test from 'ava';
import { writeFile, readdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { mountsUnder } from '../../src/host/mounts.js';
import { RUNTIME, runtimeContainers, stateRoot } from '../helpers/host.js';
import { nspod } from '../helpers/cli.js';

const pod = (spec: string, name = 'bad') => `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\nspec:\n${spec}`;
const one = (extra = '') => `  containers:\n    - name: app\n      image: busybox\n      command: ["sleep", "10"]\n${extra}`;

// [what, manifest text, what the one-line error must name]
const cases: [string, string, RegExp][] = [
  ['unknown field', pod(one('      colour: blue\n')), /spec\.containers\[0\]\.colour \(line 10\): unknown field/],
  ['wrong type', pod(one('      args: 3\n')), /spec\.containers\[0\]\.args \(line 10\)/],
  ['bad pod name', pod(one(), 'Bad_Name'), /metadata\.name \(line 4\)/],
  [
    'bad container name',
    pod('  containers:\n    - name: App\n      image: busybox\n      command: ["true"]\n'),
    /spec\.containers\[0\]\.name \(line 7\)/,
  ],
  [
    'duplicate container',
    pod(`${one()}    - name: app\n      image: busybox\n      command: ["true"]\n`),
    /spec\.containers\[1\]\.name \(line 10\): duplicate/,
  ],
  [
    'missing image',
    pod('  containers:\n    - name: app\n      command: ["true"]\n'),
    /spec\.containers\[0\]\.image|spec\.containers\[0\] \(line 7\).*image/,
  ],
  ['unsupported probe kind', pod(one('      livenessProbe:\n        grpc: { port: 9000 }\n')), /spec\.containers\[0\]\.livenessProbe/],
  ['bad YAML', 'apiVersion: v1\nkind: Pod\nmetadata: [unclosed\n', /line \d+: invalid YAML/],
  ['empty file', '', /the manifest is empty|is empty/],
  [
    'a kind of another apiVersion',
    'apiVersion: v1\nkind: Deployment\nmetadata:\n  name: x\n',
    /apiVersion \(line 1\): "v1" is not supported: nspod reads Deployment of apiVersion apps\/v1/,
  ],
  ['wrong apiVersion', 'apiVersion: apps/v1\nkind: Pod\nmetadata:\n  name: x\n', /apiVersion \(line 1\)/],
  [
    'negative memory limit',
    pod(one('      resources:\n        limits:\n          memory: -5Mi\n')),
    /spec\.containers\[0\]\.resources\.limits\.memory \(line 12\)/,
  ],
  [
    'bad cpu quantity',
    pod(one('      resources:\n        limits:\n          cpu: lots\n')),
    /spec\.containers\[0\]\.resources\.limits\.cpu \(line 12\)/,
  ],
  [
    'volumeMount of no volume',
    pod(one('      volumeMounts:\n        - name: data\n          mountPath: /data\n')),
    /spec\.containers\[0\]\.volumeMounts\[0\]\.name \(line 11\)/,
  ],
  [
    'port out of range',
    pod(one('      ports:\n        - containerPort: 70000\n')),
    /spec\.containers\[0\]\.ports\[0\]\.containerPort \(line 11\)/,
  ],
  ['bad restartPolicy', pod(`  restartPolicy: Sometimes\n${one()}`), /spec\.restartPolicy \(line 6\)/],
  [
    'missing rootfs directory',
    pod('  containers:\n    - name: app\n      image: ./no-such-rootfs\n      command: ["true"]\n'),
    /no-such-rootfs/,
  ],
  [
    'env from a file of a volume',
    pod(one('      env:\n        - name: A\n          valueFrom: { fileKeyRef: { path: a, key: a } }\n')),
    /spec\.containers\[0\]\.env\[0\]\.valueFrom\.fileKeyRef \(line 12\): not supported/,
  ],
];

test('bad manifests: exit 1, one line naming the field (and line), and nothing created', async (t) => {
  const root = await stateRoot(t, 'cli-bad');
  const results = await Promise.all(
    cases.map(async ([what, text], i) => {
      const file = path.join(root, `bad-${i}.yaml`);
      await writeFile(file, text);
      return { what, result: await nspod(root, ['run', '-d', file]) };
    }),
  );
  for (const [i, { what, result }] of results.entries()) {
    t.is(result.exitCode, 1, `${what}: ${result.stderr}`);
    const lines = String(result.stderr).trim().split('\n');
    t.is(lines.length, 1, `${what}: one line`);
    t.regex(lines[0]!, /^nspod: /, what);
    t.regex(lines[0]!, cases[i]![2], what);
    t.is(result.stdout, '', what);
  }
  t.deepEqual(existsSync(path.join(root, 'pods')) ? await readdir(path.join(root, 'pods')) : [], []);
  t.deepEqual(await runtimeContainers(path.join(root, 'runtime', RUNTIME)), []);
  t.deepEqual(mountsUnder(root), []);
});
