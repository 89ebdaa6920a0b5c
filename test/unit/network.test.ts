import test from 'ava';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { cniAdd, cniArgsString, cniDel, cniPluginError, parseCniResult, pluginStdin, type CniConfList } from '../../src/network/cni.js';
import { DEFAULT_IPAM_BASE, defaultConfList, defaultIpamDataDir, parseConfList, resolveNetworkOptions } from '../../src/network/config.js';
import { findPortConflict, portsCollide, publishedPorts, validatePodNetwork } from '../../src/network/ports.js';
import { hostsFile, networkStatus, resolvConf, type NetworkAttachment } from '../../src/network/attachment.js';
import { orphanReason } from '../../src/pod/gc.js';
import type { PodRecord } from '../../src/pod/store.js';
import type { PodSpec } from '../../src/spec/spec.js';

const list: CniConfList = {
  cniVersion: '1.0.0',
  name: 'net1',
  plugins: [
    { type: 'bridge', bridge: 'br0' },
    { type: 'portmap', capabilities: { portMappings: true } },
  ],
};

test('each plugin gets the list name and version, only the capabilities it declares, and the previous result', (t) => {
  const rc = { portMappings: [{ hostPort: 80, containerPort: 8080, protocol: 'tcp' as const }], bandwidth: { rate: 1 } };
  t.deepEqual(pluginStdin(list, list.plugins[0]!, rc), { type: 'bridge', bridge: 'br0', cniVersion: '1.0.0', name: 'net1' });
  const prev = { cniVersion: '1.0.0', ips: [{ address: '198.18.0.2/24' }] };
  t.deepEqual(pluginStdin(list, list.plugins[1]!, rc, prev), {
    type: 'portmap',
    capabilities: { portMappings: true },
    cniVersion: '1.0.0',
    name: 'net1',
    runtimeConfig: { portMappings: rc.portMappings },
    prevResult: prev,
  });
  t.is(cniArgsString([['K8S_POD_NAME', 'web']]), 'IgnoreUnknown=1;K8S_POD_NAME=web');
});

test('results and the CNI error format are parsed; the error names the plugin', (t) => {
  t.deepEqual(parseCniResult('{"cniVersion":"1.0.0","ips":[{"address":"198.18.0.3/24"}]}', 'bridge').ips, [{ address: '198.18.0.3/24' }]);
  t.throws(() => parseCniResult('nope', 'bridge'), { message: /CNI plugin bridge printed no JSON result/ });
  t.throws(() => parseCniResult('{"ips":{}}', 'bridge'), { message: /ips is not a list/ });
  const e = cniPluginError(
    'host-local',
    'ADD',
    1,
    '{"cniVersion":"1.0.0","code":11,"msg":"no IP addresses available","details":"range full"}',
    '',
  );
  t.is(e.code, 'NETWORK_FAILED');
  t.is(e.message, 'CNI plugin host-local failed on ADD (CNI error 11): no IP addresses available: range full');
  t.regex(cniPluginError('bridge', 'DEL', 2, '', 'boom\n').message, /CNI plugin bridge failed on DEL: boom/);
});

test('ADD runs the plugins in order passing each result on; DEL runs them in reverse with the cached result', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'nspod-cni-unit-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const log = path.join(dir, 'log');
  // A stand-in plugin: logs its command, type, env and whether it got a prevResult; answers with a result naming itself.
  for (const type of ['one', 'two']) {
    const file = path.join(dir, type);
    await writeFile(
      file,
      `#!/bin/sh\nin=$(cat)\necho "$CNI_COMMAND ${type} $CNI_CONTAINERID $CNI_IFNAME $CNI_NETNS $CNI_ARGS prev=$(echo "$in" | grep -c prevResult)" >> ${log}\n` +
        `[ "$CNI_COMMAND" = ADD ] && echo '{"cniVersion":"1.0.0","interfaces":[{"name":"${type}"}]}'\nexit 0\n`,
    );
    await chmod(file, 0o755);
  }
  const l: CniConfList = { cniVersion: '1.0.0', name: 'n', plugins: [{ type: 'one' }, { type: 'two' }] };
  const inv = { containerId: 'pod-1', netns: '/x/netns', ifName: 'eth0', args: [['K8S_POD_NAME', 'pod'] as [string, string]] };
  const result = await cniAdd(l, inv, {}, { cniPath: ['/nonexistent', dir] });
  t.deepEqual(result.interfaces, [{ name: 'two' }]);
  await cniDel(l, inv, {}, result, { cniPath: [dir] });
  t.deepEqual((await readFile(log, 'utf8')).trim().split('\n'), [
    'ADD one pod-1 eth0 /x/netns IgnoreUnknown=1;K8S_POD_NAME=pod prev=0',
    'ADD two pod-1 eth0 /x/netns IgnoreUnknown=1;K8S_POD_NAME=pod prev=1',
    'DEL two pod-1 eth0 /x/netns IgnoreUnknown=1;K8S_POD_NAME=pod prev=1',
    'DEL one pod-1 eth0 /x/netns IgnoreUnknown=1;K8S_POD_NAME=pod prev=1',
  ]);
  await t.throwsAsync(cniAdd({ ...l, plugins: [{ type: 'missing' }] }, inv, {}, { cniPath: [dir] }), {
    message: /CNI plugin missing not found in/,
  });
});

test('the built-in network: bridge as default gateway with masquerade, host-local with its lease dir, portmap with SNAT, firewall last', (t) => {
  const o = resolveNetworkOptions({ bridge: 'nspt9', podSubnet: '198.18.0.0/24', ipamDataDir: '/run/x/network/ipam' });
  const l = defaultConfList(o);
  t.is(l.name, 'nspod');
  t.deepEqual(
    l.plugins.map((p) => p.type),
    ['bridge', 'portmap', 'firewall'],
  );
  t.like(l.plugins[0], { type: 'bridge', bridge: 'nspt9', isGateway: true, isDefaultGateway: true, ipMasq: true });
  t.deepEqual(l.plugins[0]!.ipam, { type: 'host-local', ranges: [[{ subnet: '198.18.0.0/24' }]], dataDir: '/run/x/network/ipam' });
  t.like(l.plugins[1], { type: 'portmap', capabilities: { portMappings: true }, snat: true });
  // firewall adds and removes per-pod ACCEPT rules; it takes no capability args.
  t.deepEqual(l.plugins[2], { type: 'firewall' });
  t.throws(() => defaultConfList({ ...o, podSubnet: '198.18.0.0' }), { message: /pod subnet "198.18.0.0" must be an IPv4 subnet/ });
  t.throws(() => defaultConfList({ ...o, bridge: 'a-bridge-name-too-long' }), { message: /bridge name .* must be 1-15 characters/ });
});

test('the default lease dir is host-wide, one per bridge and subnet, whatever the state root', (t) => {
  t.is(defaultIpamDataDir('nspod0', '10.89.0.0/16'), `${DEFAULT_IPAM_BASE}/nspod0_10.89.0.0-16`);
  t.is(DEFAULT_IPAM_BASE, '/run/nspod-ipam');
  const a = resolveNetworkOptions({ bridge: 'br1', podSubnet: '198.18.0.0/28' });
  const b = resolveNetworkOptions({ bridge: 'br1', podSubnet: '198.18.0.0/28' }); // the options take no state root: leases are host-wide
  t.is(a.ipamDataDir, b.ipamDataDir);
  t.is(a.ipamDataDir, process.env.NSPOD_IPAM_DIR ?? defaultIpamDataDir('br1', '198.18.0.0/28'));
  t.not(defaultIpamDataDir('br1', '198.18.0.0/28'), defaultIpamDataDir('br2', '198.18.0.0/28'));
  t.not(defaultIpamDataDir('br1', '198.18.0.0/28'), defaultIpamDataDir('br1', '198.18.0.16/28'));
  t.is(resolveNetworkOptions({ ipamDataDir: '/x' }).ipamDataDir, '/x');
});

test('conflists and single-plugin configs parse; bad ones name the file', (t) => {
  t.deepEqual(parseConfList('{"cniVersion":"1.0.0","name":"x","type":"bridge","bridge":"b"}', 'f.conf').plugins, [
    { type: 'bridge', bridge: 'b' },
  ]);
  t.throws(() => parseConfList('{', '/etc/x.conflist'), { message: /CNI config \/etc\/x.conflist: not JSON/ });
  t.throws(() => parseConfList('{"cniVersion":"1.0.0","name":"x","plugins":[{}]}', 'y'), {
    message: /CNI config y: plugins\[0\] needs a "type"/,
  });
  t.throws(() => parseConfList('{"cniVersion":"1.0.0","plugins":[]}', 'z'), { message: /needs a "name"/ });
});

const spec = (over: Partial<PodSpec> = {}, ports: PodSpec['containers'][0]['ports'] = []): PodSpec => ({
  name: 'p',
  containers: [{ name: 'c', image: 'busybox', command: ['true'], ports }],
  ...over,
});

test('ports: mappings, collisions, and the network checks of a spec', (t) => {
  t.deepEqual(
    publishedPorts(spec({}, [{ containerPort: 80 }, { containerPort: 53, hostPort: 5353, protocol: 'UDP', hostIP: '0.0.0.0' }])),
    [{ container: 'c', hostPort: 5353, containerPort: 53, protocol: 'udp' }],
  );
  const tcp80 = { hostPort: 80, containerPort: 1, protocol: 'tcp' as const };
  t.true(portsCollide(tcp80, { ...tcp80, hostIP: '198.18.1.1' }));
  t.false(portsCollide({ ...tcp80, hostIP: '198.18.1.2' }, { ...tcp80, hostIP: '198.18.1.1' }));
  t.false(portsCollide(tcp80, { ...tcp80, protocol: 'udp' }));
  // hostPort 0 is no port yet: two of them, in one pod or two, never collide.
  t.false(portsCollide({ ...tcp80, hostPort: 0 }, { ...tcp80, hostPort: 0 }));
  t.notThrows(() =>
    validatePodNetwork(
      spec({}, [
        { containerPort: 1, hostPort: 0 },
        { containerPort: 2, hostPort: 0 },
      ]),
    ),
  );
  t.throws(() => validatePodNetwork(spec({ hostNetwork: true }, [{ containerPort: 1, hostPort: 0 }])), {
    message: /containers\[0\]\.ports\[0\]\.hostPort: .*cannot take a random hostPort/,
  });
  t.deepEqual(findPortConflict([tcp80], [{ pod: 'other', ports: [tcp80] }]), { port: tcp80, pod: 'other' });
  t.is(findPortConflict([tcp80], [{ pod: 'other', ports: [{ ...tcp80, hostPort: 81 }] }]), undefined);
  t.throws(
    () =>
      validatePodNetwork(
        spec({}, [
          { containerPort: 1, hostPort: 80 },
          { containerPort: 2, hostPort: 80 },
        ]),
      ),
    { message: /both ask for hostPort 0.0.0.0:80\/tcp/ },
  );
  t.throws(() => validatePodNetwork(spec({ network: 'none' }, [{ containerPort: 1, hostPort: 80 }])), {
    message: /network "none" cannot publish ports/,
  });
  t.throws(() => validatePodNetwork(spec({ hostNetwork: true }, [{ containerPort: 1, hostPort: 80 }])), {
    message: /hostPort must equal containerPort/,
  });
  t.notThrows(() => validatePodNetwork(spec({ network: 'my-net' }, [{ containerPort: 1, hostPort: 80 }])));
});

test('pod files and status from an attachment; which attachments gc releases', (t) => {
  t.is(hostsFile('web', '198.18.0.7'), '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n198.18.0.7\tweb\n');
  t.regex(hostsFile('web'), /127\.0\.1\.1\tweb/);
  t.is(
    resolvConf({ nameservers: ['198.18.0.1'], domain: 'pods', search: ['a'], options: ['ndots:2'] }),
    'nameserver 198.18.0.1\nsearch pods a\noptions ndots:2\n',
  );
  t.is(resolvConf({}), undefined);
  const a = {
    containerId: 'p-1',
    podUid: '1',
    network: 'nspod',
    runtimeConfig: {},
    result: {
      cniVersion: '1.0.0',
      interfaces: [{ name: 'eth0' }],
      ips: [
        { address: 'fd00::2/64', interface: 0 },
        { address: '198.18.0.9/24', gateway: '198.18.0.1', interface: 0 },
      ],
      routes: [{ dst: '0.0.0.0/0' }],
    },
  } as unknown as NetworkAttachment;
  const st = networkStatus('cni', a);
  t.is(st.podIP, '198.18.0.9');
  t.is(st.ips[1]!.interface, 'eth0');
  const record = (over: Partial<PodRecord>) => ({ uid: '1', phase: 'Running', network: a, ...over }) as PodRecord;
  t.is(orphanReason(a, undefined, true), 'pod-gone');
  t.is(orphanReason(a, record({ uid: '2' }), true), 'pod-gone');
  t.is(orphanReason(a, record({ phase: 'Stopped' }), true), 'pod-stopped');
  t.is(orphanReason(a, record({ phase: 'Creating', network: undefined }), false), 'half-made');
  t.is(orphanReason(a, record({ phase: 'Creating', network: undefined }), true), undefined);
  t.is(orphanReason(a, record({}), false), undefined);
});
