import type { Mount, Rlimit } from './spec.js';

/** Kernel paths hidden from unprivileged containers: containerd's and moby's current list (interrupts: a thermal side channel). */
export const MASKED_PATHS = [
  '/proc/acpi',
  '/proc/asound',
  '/proc/interrupts',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
  '/sys/devices/virtual/powercap',
];

/** What the builders take from the host, gathered by the caller (src/runtime/features.ts), so that they stay pure. */
export interface HostSpecFacts {
  /** `/sys/devices/system/cpu/cpu<N>/thermal_throttle` as this host has them: masked too, as containerd and moby do. */
  thermalThrottleDirs: string[];
  /** A read-only bind mount can be made recursive (`rro`): Linux 5.12, runc 1.1 or crun 1.4. */
  recursiveReadOnly: boolean;
  /**
   * The lowest oom_score_adj a container may be given: -1000 with CAP_SYS_RESOURCE, else the caller's own (the kernel
   * refuses a lower one, and the container would not start).
   */
  oomScoreAdjMin: number;
}

/** No facts: the static lists only, read-only binds that are not recursive, no oom_score_adj below 0. */
export const NO_HOST_FACTS: HostSpecFacts = { thermalThrottleDirs: [], recursiveReadOnly: false, oomScoreAdjMin: 0 };

/** The masked paths of an unprivileged container on this host: the list, and the thermal_throttle dirs the host has. */
export function maskedPaths(host: HostSpecFacts): string[] {
  return [...MASKED_PATHS, ...host.thermalThrottleDirs];
}

/** Kernel paths that stay visible but read-only. */
export const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/** The capabilities a container gets by default (the set Docker and containerd grant). */
export const DEFAULT_CAPABILITIES = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

/** The mounts every container needs: /proc, /dev, /dev/pts, /dev/shm, /dev/mqueue, /sys. */
export function baseMounts(options: { privateIpc: boolean; sysfsReadOnly: boolean; cgroup: false | 'ro' | 'rw' }): Mount[] {
  const mounts: Mount[] = [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    {
      destination: '/dev/pts',
      type: 'devpts',
      source: 'devpts',
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620'],
    },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', options.sysfsReadOnly ? 'ro' : 'rw'] },
  ];
  // mqueue belongs to an IPC namespace: mounted where that namespace is made (the pause), bound elsewhere.
  if (options.privateIpc)
    mounts.push({ destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] });
  // In the container's own cgroup namespace, it shows the container's cgroup as the root: its own limits.
  if (options.cgroup)
    mounts.push({
      destination: '/sys/fs/cgroup',
      type: 'cgroup',
      source: 'cgroup',
      options: ['nosuid', 'noexec', 'nodev', 'relatime', options.cgroup],
    });
  return mounts;
}

/**
 * The open-files limit for a container: `wanted`, but never above the caller's
 * hard limit, since raising a hard limit needs CAP_SYS_RESOURCE (which CI
 * sandboxes often lack) and would make the container's start fail.
 */
export function nofileRlimit(wanted: number, hardLimit: number): Rlimit {
  const value = Math.min(wanted, hardLimit);
  return { type: 'RLIMIT_NOFILE', soft: value, hard: value };
}

/** `/nspod/<pod cgroup>/<container>`: one cgroup per container, under one per pod. */
export function cgroupsPath(podCgroup: string, container: string): string {
  return `/nspod/${podCgroup}/${container}`;
}

/** `/nspod/<pod cgroup>/_supervisors`: the pod's shims and prober, beside its containers (no container name starts with `_`). */
export function supervisorsCgroupPath(podCgroup: string): string {
  return cgroupsPath(podCgroup, SUPERVISORS_CGROUP);
}

export const SUPERVISORS_CGROUP = '_supervisors';

/** The pod's cgroup directory name: its name and uid, so pods of one name under two state roots never share one. */
export function podCgroupName(name: string, uid: string): string {
  return `${name}-${uid}`;
}
