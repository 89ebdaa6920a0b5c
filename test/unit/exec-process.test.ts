import test from 'ava';
import { execProcess } from '../../src/oci/exec.js';
import type { Process } from '../../src/oci/spec.js';

const container: Process = {
  args: ['sleep', '3600'],
  env: ['PATH=/bin', 'MODE=app'],
  cwd: '/srv',
  terminal: false,
  consoleSize: { height: 24, width: 80 },
  user: { uid: 1000, gid: 3000, additionalGids: [2000, 3000, 4000] },
  capabilities: { bounding: ['CAP_KILL'], effective: ['CAP_KILL'], permitted: ['CAP_KILL'] },
  noNewPrivileges: true,
  rlimits: [{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 1024 }],
};

test("an exec runs the container's process with its argv: the same user, groups, capabilities, no_new_privs and rlimits", (t) => {
  const p = execProcess(container, { args: ['id', '-G'] });
  t.deepEqual(p.args, ['id', '-G']);
  t.deepEqual(p.user, { uid: 1000, gid: 3000, additionalGids: [2000, 3000, 4000] });
  t.deepEqual(p.capabilities, container.capabilities);
  t.true(p.noNewPrivileges);
  t.deepEqual(p.rlimits, container.rlimits);
  t.is(p.cwd, '/srv');
  t.deepEqual(p.env, ['PATH=/bin', 'MODE=app']);
  t.false(p.terminal);
  t.false('consoleSize' in p);
  t.deepEqual(container.args, ['sleep', '3600'], 'the base is not changed');
});

test("an exec's env is added to the container's (a name it has is replaced); cwd, tty and user are put over it", (t) => {
  const p = execProcess(container, { args: ['sh'], env: { MODE: 'debug', EXTRA: 'a=b' }, cwd: '/tmp', tty: true, user: { uid: 0 } });
  t.deepEqual(p.env, ['PATH=/bin', 'MODE=debug', 'EXTRA=a=b']);
  t.is(p.cwd, '/tmp');
  t.true(p.terminal);
  t.deepEqual(p.user, { uid: 0, gid: 0, additionalGids: [2000, 3000, 4000] }, "runc's exec --user keeps the groups too");
});
