import test from 'ava';
import { isNspodError } from '../../src/errors.js';
import { imageDefaults } from '../../src/image/config.js';
import { parseManifest } from '../../src/manifest/index.js';
import { describeHandler, stopSignalOf } from '../../src/pod/lifecycle.js';
import { imageStopSignal, signalNumber, STOP_SIGNALS } from '../../src/spec/signals.js';
import { podSpecProblems, type PodSpec } from '../../src/spec/spec.js';

const pod = (lines: string[], os = true) =>
  [
    'apiVersion: v1',
    'kind: Pod',
    'metadata: { name: p }',
    'spec:',
    ...(os ? ['  os: { name: linux }'] : []),
    '  containers:',
    '  - name: web',
    '    image: busybox',
    '    command: [sleep, "3600"]',
    ...lines,
  ].join('\n');

test('signals: Kubernetes names, the real-time ones, image spellings', (t) => {
  t.is(signalNumber('SIGTERM'), 15);
  t.is(signalNumber('SIGUSR1'), 10);
  t.is(signalNumber('SIGRTMIN'), 34);
  t.is(signalNumber('SIGRTMIN+15'), 49);
  t.is(signalNumber('SIGRTMAX-14'), 50);
  t.is(signalNumber('SIGRTMAX'), 64);
  t.is(signalNumber('SIGRTMIN-1'), undefined);
  t.is(signalNumber('TERM'), undefined, 'lifecycle.stopSignal takes the SIG names only');
  t.is(STOP_SIGNALS.length, new Set(STOP_SIGNALS).size);
  t.true(STOP_SIGNALS.every((s) => signalNumber(s) !== undefined));
  t.is(imageStopSignal('SIGQUIT'), 'SIGQUIT');
  t.is(imageStopSignal('quit'), 'SIGQUIT');
  t.is(imageStopSignal('3'), 'SIGQUIT');
  t.is(imageStopSignal('SIGNOPE'), undefined);
  t.is(imageStopSignal(''), undefined);
  t.deepEqual(imageDefaults({ config: { StopSignal: 'SIGQUIT' } }), { stopSignal: 'SIGQUIT' });
});

test("the stop signal: the lifecycle's, else the image's, else SIGTERM", (t) => {
  const spec = { name: 'c', image: 'busybox' };
  t.is(stopSignalOf({ spec, image: {} }), 'SIGTERM');
  t.is(stopSignalOf({ spec, image: { stopSignal: 'SIGQUIT' } }), 'SIGQUIT');
  t.is(stopSignalOf({ spec: { ...spec, lifecycle: { stopSignal: 'SIGUSR1' } }, image: { stopSignal: 'SIGQUIT' } }), 'SIGUSR1');
  t.is(describeHandler({ exec: { command: ['sh', '-c', 'exit 1'] } }), 'exec ["sh","-c","exit 1"]');
  t.is(describeHandler({ sleep: { seconds: 2 } }), 'sleep 2s');
  t.is(describeHandler({ httpGet: { port: 8080, path: '/quit' } }), 'httpGet :8080/quit');
});

test('manifest: lifecycle hooks and stopSignal are read as Kubernetes writes them', (t) => {
  const { pods, warnings } = parseManifest(
    pod([
      '    ports: [{ name: http, containerPort: 8080 }]',
      '    lifecycle:',
      '      postStart:',
      '        exec: { command: ["/bin/sh", "-c", "echo hi > /tmp/m"] }',
      '      preStop:',
      '        httpGet: { path: /quit, port: http }',
      '      stopSignal: SIGUSR1',
    ]),
  );
  t.deepEqual(warnings, []);
  t.deepEqual(pods[0]!.containers[0]!.lifecycle, {
    postStart: { exec: { command: ['/bin/sh', '-c', 'echo hi > /tmp/m'] } },
    preStop: { httpGet: { path: '/quit', port: 'http' } },
    stopSignal: 'SIGUSR1',
  });
  const sleep = parseManifest(pod(['    lifecycle:', '      preStop:', '        sleep: { seconds: 0 }'])).pods[0]!;
  t.deepEqual(sleep.containers[0]!.lifecycle, { preStop: { sleep: { seconds: 0 } } });
  const tcp = parseManifest(pod(['    lifecycle:', '      preStop:', '        tcpSocket: { port: 80 }']));
  t.regex(tcp.warnings.join('\n'), /lifecycle\.preStop\.tcpSocket \(line 12\): deprecated/);
});

test('manifest: what a lifecycle may not say, with its line', (t) => {
  const refused = (text: string, message: RegExp) => {
    const error = t.throws(() => parseManifest(text, { file: 'pod.yaml' }));
    t.true(isNspodError(error, 'INVALID_SPEC'), String(error));
    t.regex(error?.message ?? '', message);
  };
  refused(
    pod(['    lifecycle: { stopSignal: SIGUSR1 }'], false),
    /spec\.containers\[0\]\.lifecycle\.stopSignal \(line 9\): can only be set for a pod with spec\.os\.name/,
  );
  refused(pod(['    lifecycle: { stopSignal: SIGNOPE }']), /lifecycle\.stopSignal \(line 10\): "SIGNOPE" is not a signal Kubernetes knows/);
  refused(
    pod(['    lifecycle:', '      preStop: { sleep: { seconds: 31 } }']),
    /lifecycle\.preStop\.sleep\.seconds \(line 11\): must be between 0 and 30 \(it is 31\)/,
  );
  refused(pod(['    lifecycle:', '      postStart: {}']), /lifecycle\.postStart \(line 11\): needs one of exec, httpGet, sleep/);
  refused(
    pod(['    lifecycle:', '      postStart: { exec: { command: [a] }, sleep: { seconds: 1 } }']),
    /lifecycle\.postStart\.sleep \(line 11\): a hook has one handler, and this one already has exec/,
  );
  refused(pod(['    lifecycle:', '      preStop: { httpGet: { port: 80, host: example.com } }']), /host \(line 11\): not supported/);
  refused(
    pod(['    lifecycle:', '      preStop: { httpGet: { port: web } }']),
    /lifecycle\.preStop\.httpGet\.port \(line 11\): "web" is neither/,
  );
});

test('PodSpec: init containers have no hooks (sidecars have); a sleep hook within the pod grace period', (t) => {
  const spec: PodSpec = {
    name: 'p',
    terminationGracePeriodSeconds: 5,
    initContainers: [
      { name: 'init', image: 'busybox', command: ['true'], lifecycle: { postStart: { sleep: { seconds: 1 } } } },
      { name: 'proxy', image: 'busybox', command: ['true'], restartPolicy: 'Always', lifecycle: { preStop: { sleep: { seconds: 1 } } } },
    ],
    containers: [{ name: 'web', image: 'busybox', command: ['true'], lifecycle: { preStop: { sleep: { seconds: 6 } } } }],
  };
  t.deepEqual(
    podSpecProblems(spec).map((p) => `${p.field}: ${p.why}`),
    [
      'initContainers[0].lifecycle: init containers have no lifecycle hooks (a sidecar, restartPolicy: Always, has)',
      'containers[0].lifecycle.preStop.sleep.seconds: must be between 0 and 5 (it is 6)',
    ],
  );
});
