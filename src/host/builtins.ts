/**
 * Node builtins that cost a CLI start several ms each to load (node:crypto, node:child_process), loaded on first use:
 * `nspod ps` and a cached `nspod version` never touch them.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export const crypto = (): typeof import('node:crypto') => require('node:crypto') as typeof import('node:crypto');
export const childProcess = (): typeof import('node:child_process') => require('node:child_process') as typeof import('node:child_process');

/** `n` random bytes as hex: the suffix that keeps a temporary name of this process apart from others'. */
export const randomHex = (n: number): string => crypto().randomBytes(n).toString('hex');
