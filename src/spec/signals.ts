/**
 * Stop signals as Kubernetes names them (`lifecycle.stopSignal`, the Linux list of the API's Signal type) and as image
 * configs write them (`StopSignal`: `SIGQUIT`, `QUIT` or `3`): one table, name → Linux signal number.
 */

const NUMBERED: Record<string, number> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGIOT: 6,
  SIGBUS: 7,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGSEGV: 11,
  SIGUSR2: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
  SIGSTKFLT: 16,
  SIGCHLD: 17,
  SIGCLD: 17,
  SIGCONT: 18,
  SIGSTOP: 19,
  SIGTSTP: 20,
  SIGTTIN: 21,
  SIGTTOU: 22,
  SIGURG: 23,
  SIGXCPU: 24,
  SIGXFSZ: 25,
  SIGVTALRM: 26,
  SIGPROF: 27,
  SIGWINCH: 28,
  SIGIO: 29,
  SIGPOLL: 29,
  SIGPWR: 30,
  SIGSYS: 31,
};

/** SIGRTMIN is 34 as the C library (and Kubernetes' table) counts it; SIGRTMAX 64. */
const RTMIN = 34;
const RTMAX = 64;

/** Every name `lifecycle.stopSignal` takes, in Kubernetes' spelling. */
export const STOP_SIGNALS: readonly string[] = [
  ...Object.keys(NUMBERED),
  'SIGRTMIN',
  ...Array.from({ length: 15 }, (_, i) => `SIGRTMIN+${i + 1}`),
  ...Array.from({ length: 14 }, (_, i) => `SIGRTMAX-${14 - i}`),
  'SIGRTMAX',
];

/** The signal a Kubernetes name (`SIGUSR1`, `SIGRTMIN+3`) means, or undefined when it names none. */
export function signalNumber(name: string): number | undefined {
  if (Object.hasOwn(NUMBERED, name)) return NUMBERED[name];
  const rt = /^SIGRT(MIN|MAX)(?:([+-])(\d+))?$/.exec(name);
  if (!rt) return undefined;
  const base = rt[1] === 'MIN' ? RTMIN : RTMAX;
  const n = rt[3] === undefined ? base : rt[2] === '+' ? base + Number(rt[3]) : base - Number(rt[3]);
  return n >= RTMIN && n <= RTMAX && (rt[3] === undefined || (rt[1] === 'MIN' ? rt[2] === '+' : rt[2] === '-')) ? n : undefined;
}

/** An image config's StopSignal (`SIGQUIT`, `QUIT`, `sigquit`, `3`) in Kubernetes' spelling, or undefined when it names no signal. */
export function imageStopSignal(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (/^\d+$/.test(value)) {
    const n = Number(value);
    return STOP_SIGNALS.find((s) => signalNumber(s) === n);
  }
  const upper = value.toUpperCase();
  const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
  return signalNumber(name) === undefined ? undefined : name;
}
