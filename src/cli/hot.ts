/**
 * The hot commands, `nspod version` and `nspod ps`, in their plain forms: recognized here without commander (a
 * quarter of a start's compile) and run at once. bin/nspod.js loads this file on its own, as CommonJS
 * (dist/bundle/hot.cjs), before anything else; any other command line goes to main.ts and commander.
 */
import type { GlobalOptions } from './options.js';
import { failed } from './output.js';

const globalOptions: Record<string, keyof GlobalOptions> = {
  '--root': 'root',
  '--data-root': 'dataRoot',
  '--runtime': 'runtime',
  '--image-root': 'imageRoot',
};

/**
 * `argv` as a hot command with its options, when it is one that commander would parse the same way: the global
 * options, `version`, or `ps`/`ls` with `-o table|json`, each at most once. Anything else (help, an unknown word, a
 * value that starts with a dash) is undefined, and commander parses it, errors and all.
 */
export function hotCommand(argv: string[]): { command: 'version' | 'ps'; output?: string; globals: GlobalOptions } | undefined {
  const globals: GlobalOptions = {};
  let command: 'version' | 'ps' | undefined;
  let output: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const value = () => (eq > 0 ? arg.slice(eq + 1) : argv[++i]);
    const key = globalOptions[flag];
    if (key) {
      const v = value();
      if (v === undefined || v.startsWith('-') || globals[key] !== undefined) return undefined;
      (globals as Record<string, string>)[key] = v;
    } else if (arg === '--debug') {
      if (globals.debug) return undefined;
      globals.debug = true;
    } else if (command === 'ps' && (flag === '-o' || flag === '--output') && output === undefined) {
      output = value();
      if (output !== 'table' && output !== 'json') return undefined;
    } else if (command === undefined && (arg === 'version' || arg === 'ps' || arg === 'ls')) {
      command = arg === 'version' ? 'version' : 'ps';
    } else return undefined;
  }
  return command && { command, globals, ...(output ? { output } : {}) };
}

/** The exit code of `argv` run as a hot command, or undefined when it is not one (nothing was done). */
export function runHot(argv: string[]): Promise<number> | undefined {
  const hot = hotCommand(argv);
  if (!hot) return undefined;
  const run =
    hot.command === 'version'
      ? import('./commands/version.js').then((m) => m.version(hot.globals))
      : import('./commands/ps.js').then((m) => m.ps({ output: hot.output }, hot.globals));
  return run.catch((e: unknown) => failed(e, argv));
}
