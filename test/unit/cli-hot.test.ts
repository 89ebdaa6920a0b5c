import test from 'ava';
import { hotCommand } from '../../src/cli/hot.js';

test('the plain forms of version and ps are hot, with the global options anywhere', (t) => {
  t.deepEqual(hotCommand(['version']), { command: 'version', globals: {} });
  t.deepEqual(hotCommand(['--root', '/r', 'ls', '--runtime=crun', '-o', 'json']), {
    command: 'ps',
    globals: { root: '/r', runtime: 'crun' },
    output: 'json',
  });
  t.deepEqual(hotCommand(['ps', '--debug', '--output=table', '--data-root', '/d', '--image-root', '/i']), {
    command: 'ps',
    globals: { debug: true, dataRoot: '/d', imageRoot: '/i' },
    output: 'table',
  });
});

test('anything else is left to commander: help, other commands, odd or repeated options, bad values', (t) => {
  for (const argv of [
    [],
    ['--help'],
    ['version', '--help'],
    ['ps', '-h'],
    ['run', '-d', 'pod.yaml'],
    ['ps', 'extra'],
    ['version', 'ps'],
    ['-o', 'json', 'ps'],
    ['version', '-o', 'json'],
    ['ps', '-o', 'yaml'],
    ['ps', '-o'],
    ['ps', '-ojson'],
    ['ps', '-o=json'],
    ['--root', 'ps'],
    ['--root', '--debug', 'ps'],
    ['--root', '/a', '--root', '/b', 'ps'],
    ['ps', '-o', 'json', '-o', 'table'],
    ['--debug', '--debug', 'ps'],
    ['--', 'ps'],
    ['--rootx', '/r', 'ps'],
  ])
    t.is(hotCommand(argv), undefined, argv.join(' '));
});
