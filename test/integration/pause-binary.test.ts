import test from 'ava';
import { open } from 'node:fs/promises';
import { execa } from 'execa';
import { assets } from '../../src/paths.js';
import { eventually, nsInode, procInfo, processesInPidNamespace } from '../helpers/host.js';

const pause = assets.pauseBinary;

/** True when the ELF file has a PT_INTERP program header (it needs a dynamic loader). */
async function hasInterpreter(file: string): Promise<boolean> {
  const fh = await open(file, 'r');
  try {
    const header = Buffer.alloc(64);
    await fh.read(header, 0, 64, 0);
    if (header.readUInt32BE(0) !== 0x7f454c46) throw new Error(`${file} is not ELF`);
    if (header[4] !== 2) throw new Error(`${file} is not 64-bit ELF`);
    const phoff = Number(header.readBigUInt64LE(32));
    const phentsize = header.readUInt16LE(54);
    const phnum = header.readUInt16LE(56);
    const table = Buffer.alloc(phentsize * phnum);
    await fh.read(table, 0, table.length, phoff);
    for (let i = 0; i < phnum; i++) if (table.readUInt32LE(i * phentsize) === 3) return true;
    return false;
  } finally {
    await fh.close();
  }
}

test('pause -v prints its version and exits 0', async (t) => {
  const r = await execa(pause, ['-v']);
  t.regex(r.stdout, /^pause \(nspod\) \S+$/);
});

test('pause, shim, reaper and prober are statically linked (no ELF interpreter)', async (t) => {
  for (const bin of [assets.pauseBinary, assets.shimBinary, assets.reaperBinary, assets.proberBinary])
    t.false(await hasInterpreter(bin), bin);
  // The check itself can see a dynamic binary.
  t.true(await hasInterpreter(process.execPath));
});

test('outside PID 1 pause warns; SIGTERM and SIGINT make it exit 0 with a line on stderr', async (t) => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    const child = execa(pause, { reject: false });
    await eventually(async () => ((await procInfo(child.pid!))?.state === 'S' ? true : undefined), 5000, 'pause asleep');
    child.kill(signal);
    const r = await child;
    t.is(r.exitCode, 0);
    t.regex(r.stderr, /not running as PID 1/);
    t.regex(r.stderr, new RegExp(`pause: ${signal}, exiting`));
  }
});

test('as PID 1 of a new pid namespace, pause adopts and reaps an orphaned grandchild: no zombie remains', async (t) => {
  const holder = execa('unshare', ['--pid', '--fork', '--kill-child', pause], { reject: false });
  t.teardown(() => holder.kill('SIGKILL'));
  // The pause is unshare's child, PID 1 in its namespace.
  const pausePid = await eventually(
    async () => {
      const kids = await execa('pgrep', ['-P', String(holder.pid)], { reject: false });
      const pid = Number(String(kids.stdout).split('\n')[0]);
      return pid > 0 ? pid : undefined;
    },
    5000,
    'pause under unshare',
  );
  const pidns = await nsInode(pausePid, 'pid');
  t.not(pidns, await nsInode('self', 'pid'));
  // Middle parent starts a sleeper in the background and exits at once: the sleeper is orphaned.
  await execa('nsenter', ['-t', String(pausePid), '-p', '--', '/bin/sh', '-c', '/bin/sh -c "sleep 300 >/dev/null 2>&1 &"']);
  const sleeper = await eventually(
    async () => {
      const procs = await processesInPidNamespace(pidns);
      return procs.find((p) => p.args === 'sleep 300');
    },
    15000,
    'the orphaned sleeper',
  );
  t.is(sleeper.ppid, pausePid, 'the orphan was handed to pause');
  // Once it dies only its parent can collect it: if pause did not reap, a zombie would stay.
  process.kill(sleeper.pid, 'SIGKILL');
  const after = await eventually(
    async () => {
      const procs = await processesInPidNamespace(pidns);
      return procs.some((p) => p.pid === sleeper.pid) ? undefined : procs;
    },
    10000,
    'the sleeper to be reaped',
  );
  t.deepEqual(
    after.filter((p) => p.state === 'Z'),
    [],
  );
  t.deepEqual(
    after.map((p) => p.pid),
    [pausePid],
  );
  holder.kill('SIGTERM');
});
