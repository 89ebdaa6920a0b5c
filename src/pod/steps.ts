/**
 * The step log of the pod flow: undo steps run last-first (what Go's defers do in containerd's
 * RunPodSandbox), "try every step" lists (stop, gc) in which one failure never keeps the rest
 * from running, and the one rule for a state dir after a failed step.
 */
import { errorMessage } from '../errors.js';
import { mountsUnder } from '../host/mounts.js';

/** One step's outcome: its value, or its error's message. */
export type Settled<T> = { ok: true; value: T } | { ok: false; error: string };

/** Runs one step of a "try every step" list: a failure is returned, never thrown, so the next step still runs. */
export async function settle<T>(step: () => Promise<T>): Promise<Settled<T>> {
  try {
    return { ok: true, value: await step() };
  } catch (e) {
    return { ok: false, error: errorMessage(e) };
  }
}

/** Steps tried one after another whatever each does; what failed is collected as `<what>: <why>`. */
export class StepLog {
  readonly failures: string[] = [];

  /** The step's value, or undefined when it failed. */
  async attempt<T>(what: string, step: () => Promise<T>): Promise<T | undefined> {
    const outcome = await settle(step);
    if (outcome.ok) return outcome.value;
    this.failures.push(`${what}: ${outcome.error}`);
    return undefined;
  }
}

/** An undo; it is told what failed among the undos that ran before it. */
export type Undo = (failedSoFar: readonly string[]) => Promise<void>;

/** Undo steps, run last-registered first, every one of them; never throws, returns what failed. */
export class Rollback {
  private steps: { what: string; undo: Undo }[] = [];

  add(what: string, undo: Undo): void {
    this.steps.push({ what, undo });
  }

  async run(): Promise<string[]> {
    const log = new StepLog();
    for (const step of this.steps.reverse()) await log.attempt(step.what, () => step.undo(log.failures));
    this.steps = [];
    return log.failures;
  }
}

/**
 * The one rule for a pod's state dir after failed steps, shared by create's rollback and gc
 * (containerd's cleanupErr): when a step failed or something is still mounted below it, the dir and
 * its record stay, naming what is left, for the next nspod gc.
 */
export function keepsStateDir(failed: boolean, dir: string): boolean {
  return failed || mountsUnder(dir).length > 0;
}
