/** The host's Linux security modules as a container runtime sees them: is AppArmor or SELinux on, which profiles are loaded. */
import { readFileSync } from 'node:fs';

function read(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** AppArmor is enabled (as runc and containerd check it: the module's parameter says Y). */
export function appArmorEnabled(): boolean {
  return read('/sys/module/apparmor/parameters/enabled')?.trim() === 'Y';
}

/** SELinux is on (selinuxfs mounted with its enforce file): enforcing or permissive. */
export function seLinuxEnabled(): boolean {
  return read('/sys/fs/selinux/enforce') !== undefined;
}

/** The AppArmor profile `name` is loaded (it is a line `name (mode)` of the kernel's profile list). */
export function appArmorProfileLoaded(name: string): boolean {
  const list = read('/sys/kernel/security/apparmor/profiles') ?? '';
  return list.split('\n').some((l) => l.replace(/ \([a-z]+\)$/, '') === name);
}
