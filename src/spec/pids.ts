/** The pids limit of a container whose resources name none: podman's default, changed per pod by an annotation or per host by an option. */

/** podman's default pids limit (Docker sets none). */
export const DEFAULT_PIDS_LIMIT = 2048;

/** The pod annotation that sets the pids limit of its containers (`0` or `-1`: none). */
export const PIDS_LIMIT_ANNOTATION = 'nspod.io/pids-limit';

/** What is wrong with a pids limit as written in the annotation, if anything. */
export function pidsLimitProblem(value: string): string | undefined {
  return /^(-1|0|[1-9]\d{0,8})$/.test(value)
    ? undefined
    : `${JSON.stringify(value)} must be a whole number of processes (0 or -1: no limit)`;
}

/** The pids limit of the pod's containers whose resources name none: the annotation, else the option, else 2048; 0 or less: none. */
export function podPidsLimit(annotations: Readonly<Record<string, string>> | undefined, option: number | undefined): number {
  const written = annotations?.[PIDS_LIMIT_ANNOTATION];
  if (written !== undefined && pidsLimitProblem(written) === undefined) return Number(written);
  return option ?? DEFAULT_PIDS_LIMIT;
}
