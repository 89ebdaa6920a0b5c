import test from 'ava';
import { buildPauseSpec, PAUSE_UID } from '../../src/oci/pause.js';
import { specErrors } from '../../src/oci/validate.js';

const input = { hostname: 'demo', cgroupsPath: '/nspod/demo/pause', nofileHardLimit: 20000 };

test('the pause config validates against the runtime-spec schema', (t) => {
  t.deepEqual(specErrors(buildPauseSpec(input)), []);
});

test('the validator rejects a config that breaks the schema', (t) => {
  const spec = buildPauseSpec(input) as unknown as Record<string, unknown>;
  const broken = { ...spec, process: { ...(spec.process as object), args: 'not-a-list' }, ociVersion: 7 };
  const errors = specErrors(broken);
  t.true(errors.some((e) => e.startsWith('/ociVersion')));
  t.true(errors.some((e) => e.startsWith('/process/args')));
});

test('the pause runs /pause unprivileged on a read-only root, in new pid, net, ipc, uts and mount namespaces', (t) => {
  const spec = buildPauseSpec(input);
  t.deepEqual(spec.process?.args, ['/pause']);
  t.deepEqual(spec.process?.user, { uid: PAUSE_UID, gid: PAUSE_UID });
  t.is(spec.process?.terminal, false);
  t.true(spec.process?.noNewPrivileges);
  for (const set of Object.values(spec.process?.capabilities ?? {})) t.deepEqual(set, []);
  t.deepEqual(spec.root, { path: 'rootfs', readonly: true });
  t.is(spec.hostname, 'demo');
  t.deepEqual(spec.linux?.namespaces?.map((n) => n.type).sort(), ['ipc', 'mount', 'network', 'pid', 'uts']);
  t.true(spec.linux?.namespaces?.every((n) => n.path === undefined));
  t.is(spec.linux?.cgroupsPath, '/nspod/demo/pause');
  t.true(spec.linux?.maskedPaths?.includes('/proc/kcore'));
  t.true(spec.linux?.readonlyPaths?.includes('/proc/sys'));
});

test("the pause never asks for an open-files limit above the caller's hard limit", (t) => {
  const spec = buildPauseSpec({ ...input, nofileHardLimit: 512 });
  t.deepEqual(spec.process?.rlimits, [{ type: 'RLIMIT_NOFILE', soft: 512, hard: 512 }]);
});

test('a hostNetwork pause makes no network namespace', (t) => {
  const spec = buildPauseSpec({ ...input, hostNetwork: true });
  t.false(spec.linux?.namespaces?.some((n) => n.type === 'network'));
  t.deepEqual(specErrors(spec), []);
});
