/**
 * The nspod command line as commander parses it: every command, its options and help. Each command's body is in
 * commands/, imported when the command runs, so a command loads only what it uses; main.ts loads this file only for
 * the commands it does not run itself.
 */
import { Command, CommanderError, Option } from 'commander';
import { resolveStateRoot } from '../paths.js';
import { configKind, parseDuration } from './format.js';
import { usageError, type GlobalOptions } from './options.js';
import { out } from './output.js';

function globals(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals() as GlobalOptions;
}

/** An option given more than once collects its values. */
const repeatable = (value: string, previous: string[] = []) => [...previous, value];

/** `-o, --output <format>` with the formats a command can print. */
function outputOption(choices: string[]): Option {
  return new Option('-o, --output <format>', 'output format').choices(choices);
}

export function buildProgram(setCode: (code: number) => void): Command {
  const program = new Command('nspod')
    .description(
      'Kubernetes-style pods on a bare Linux host, driven by runc: a pause container of our own holds the namespaces, app containers join them.',
    )
    .option('--root <dir>', 'state root (env NSPOD_ROOT, default /run/nspod)')
    .option(
      '--data-root <dir>',
      "pods' writable layers, disk emptyDirs and logs (env NSPOD_DATA_ROOT, default the state root's, else /var/lib/nspod)",
    )
    .option('--runtime <runc|crun|path>', 'OCI runtime (env NSPOD_RUNTIME, default runc)')
    .option('--image-root <dir>', 'image cache (env NSPOD_IMAGE_ROOT, default /var/lib/nspod/images)')
    .option('--debug', 'print stack traces with errors')
    .showHelpAfterError('(nspod --help lists the commands)')
    .configureOutput({ outputError: (s, write) => write(`nspod: ${s.replace(/^error: /, '')}`) })
    .exitOverride();
  const run =
    <A extends unknown[]>(fn: (...args: A) => Promise<number>) =>
    async (...args: A) =>
      setCode(await fn(...args));

  program
    .command('run')
    .description(
      'store the ConfigMaps and Secrets of Kubernetes manifests, then create and start their pods (Pods, and one pod for each ' +
        'Deployment, ReplicaSet, StatefulSet, DaemonSet or Job); in the foreground (the default) stream their output, ' +
        "stop them on Ctrl-C/SIGTERM and exit with the app containers' code",
    )
    .argument('[files...]', 'manifests (YAML, one or more documents each; - reads stdin)')
    .option('-f, --filename <file>', 'a manifest, as kubectl takes it (repeatable)', repeatable)
    .option('-d, --detach', 'start the pods and print their names')
    .option(
      '--rm',
      'remove the pods when their apps exit for good (with -d: by the supervisor, after the fact; with --wait: also when they do not become ready)',
    )
    .option('--replace', 'remove a pod of the same name first, if there is one')
    .option('--reuse', 'with -d: a running pod of the same name and spec is taken as it is (another spec or a stopped pod: an error)')
    .option('--rm-with-parent', 'stop and remove the pods when the process that ran nspod exits (kill -9 too), as a test run needs')
    .option('--owner <pid>', 'stop and remove the pods when process PID exits')
    .option(
      '-p, --publish <host:container[/udp]>',
      'publish a container port on the host, like docker run -p (repeatable; host port 0 or CONTAINER alone: any free port)',
      repeatable,
    )
    .option('-P, --publish-all', 'publish every containerPort without a hostPort on a free host port (nspod port tells which)')
    .option('--network <name>', 'default, none, or a CNI conflist name (overrides the manifest)')
    .option(
      '--dry-run',
      "print each bundle's config.json, each container's environment, the volume files and the runtime commands, in order, " +
        'without touching the host (Secret values masked)',
    )
    .option(
      '--wait [timeout]',
      'with -d: return once the pods are Ready (probes pass; without probes, every app container runs); default timeout 60s',
    )
    .action(
      run(async (positional: string[], o, cmd: Command) => {
        const files = [...positional, ...(o.filename ?? [])];
        // `--wait pod.yaml`: the optional value took the file; give it back.
        if (typeof o.wait === 'string' && parseDuration(o.wait) === undefined) {
          files.unshift(o.wait);
          o.wait = true;
        }
        if (files.length === 0) usageError('run needs a manifest: nspod run [options] FILE... (- for stdin)');
        return (await import('./commands/run.js')).run(files, o, globals(cmd));
      }),
    );

  program
    .command('down')
    .description('remove what the manifests made: their pods (stopped first), ConfigMaps and Secrets; what is not there is passed over')
    .argument('<files...>', 'manifests (- reads stdin)')
    .option('-t, --time <seconds>', "grace period (default: each manifest's terminationGracePeriodSeconds, else 30)")
    .action(run(async (files: string[], o, cmd: Command) => (await import('./commands/config.js')).down(files, o, globals(cmd))));

  program
    .command('get')
    .description("list the ConfigMaps (NAME, DATA) or Secrets (NAME, TYPE, DATA) of the state root; a Secret's values are never shown")
    .argument('<configmaps|secrets>')
    .addOption(outputOption(['table', 'json']))
    .action(run(async (what: string, o, cmd: Command) => (await import('./commands/config.js')).get(what, o, globals(cmd))));

  program
    .command('create')
    .description('make a ConfigMap (create configmap NAME) or a Secret (create secret generic NAME), as kubectl does')
    .argument('<configmap|secret>')
    .argument('<args...>', 'NAME (secret: generic NAME)')
    .option('--from-literal <key=value>', 'a key and its value (repeatable)', repeatable)
    .option('--from-file <[key=]path>', "a file's content under its name or KEY; a directory: each of its files (repeatable)", repeatable)
    .option('--from-env-file <path>', 'KEY=VALUE lines (repeatable)', repeatable)
    .option('--type <type>', "a Secret's type (default Opaque)")
    .action(
      run(async (what: string, args: string[], o, cmd: Command) =>
        (await import('./commands/config.js')).create(what, args, o, globals(cmd)),
      ),
    );

  program
    .command('ps')
    .alias('ls')
    .description('list pods: NAME, READY, STATUS, RESTARTS, AGE, IP, PAUSE PID, EXIT CODES')
    .addOption(outputOption(['table', 'json']))
    .action(run(async (o, cmd: Command) => (await import('./commands/ps.js')).ps(o, globals(cmd))));

  program
    .command('inspect')
    .description('a pod as JSON: spec, status, pause pid, namespace paths and inode numbers, bundle paths, network')
    .argument('<pod>')
    .action(run(async (name: string, _o, cmd: Command) => (await import('./commands/inspect.js')).inspect(name, globals(cmd))));

  program
    .command('port')
    .description('the host ports a pod publishes, as docker port prints them: 8080/tcp -> 127.0.0.1:49153')
    .argument('<pod>')
    .argument('[port]', 'CONTAINER_PORT[/tcp|udp]: only this one')
    .action(
      run(async (name: string, port: string | undefined, _o, cmd: Command) =>
        (await import('./commands/port.js')).port(name, port, globals(cmd)),
      ),
    );

  program
    .command('cp')
    .description(
      'copy files out of or into a container (running or exited; the first app container when none is named), as docker cp: ' +
        'a directory as its tree, - for a tar stream on stdin or stdout',
    )
    .argument('<source>', 'POD[:CONTAINER]:PATH, or a host path (- : a tar stream on stdin)')
    .argument('<dest>', 'a host path (- : a tar stream on stdout), or POD[:CONTAINER]:PATH')
    .addHelpText(
      'after',
      '\nPaths in the container resolve inside its root: its symlinks never lead to the host. A host path with a colon\n' +
        'starts with / or ./ . Examples:\n  nspod cp web:/var/log/app.log .\n  nspod cp ./fixtures db:postgres:/docker-entrypoint-initdb.d\n' +
        '  nspod cp web:/data - | tar t',
    )
    .action(run(async (from: string, to: string, _o, cmd: Command) => (await import('./commands/cp.js')).cp(from, to, globals(cmd))));

  program
    .command('logs')
    .description("print a container's output of its current run (the first app container when none is named)")
    .argument('<pod>')
    .argument('[container]')
    .option('-f, --follow', 'keep printing new output until the container exits for good or Ctrl-C')
    .option('--tail <n>', 'only the last n lines')
    .option('--timestamps', 'prefix each line with its RFC 3339 time')
    .option('-p, --previous', "the output of the container's previous run (before its last restart)")
    .action(
      run(async (name: string, container: string | undefined, o, cmd: Command) =>
        (await import('./commands/logs.js')).logs(name, container, o, globals(cmd)),
      ),
    );

  program
    .command('exec')
    .description("run a command in a container of a pod, with the caller's stdin/stdout/stderr")
    .argument('<pod>')
    .argument('[command...]', 'after --')
    .option('-c, --container <name>', 'container (default: the first app container)')
    .option('-i, --interactive', 'keep stdin open (always on: stdin is passed through)')
    .option('-t, --tty', 'allocate a terminal')
    .action(
      run(async (name: string, command: string[], o, cmd: Command) =>
        (await import('./commands/exec.js')).exec(name, command, o, globals(cmd)),
      ),
    );

  program
    .command('debug')
    .description(
      "run a host program in the pod's network, uts and ipc namespaces (and pid when shared), entered through the pause: nsenter -t <pause pid>",
    )
    .argument('<pod>')
    .argument('[command...]', 'after --, e.g. -- ip addr')
    .action(
      run(async (name: string, command: string[], _o, cmd: Command) =>
        (await import('./commands/exec.js')).debug(name, command, globals(cmd)),
      ),
    );

  program
    .command('stop')
    .description('stop pods: apps get TERM, then KILL after the grace period; the pause goes last; state and logs stay')
    .argument('<pod...>')
    .option('-t, --time <seconds>', "grace period (default: the manifest's terminationGracePeriodSeconds, else 30)")
    .action(run(async (names: string[], o, cmd: Command) => (await import('./commands/stop.js')).stop(names, o, globals(cmd))));

  program
    .command('rm')
    .description(
      'remove stopped pods and their state (-f stops running ones first, without grace); rm configmap|secret NAME... removes those',
    )
    .argument('<pod...>', 'pods, or configmap|secret followed by names')
    .option('-f, --force', 'remove running pods too')
    .action(
      run(async (names: string[], o, cmd: Command) => {
        const kind = names.length > 1 ? configKind(names[0]) : undefined;
        if (kind) return (await import('./commands/config.js')).removeObjects(kind, names.slice(1), globals(cmd));
        return (await import('./commands/stop.js')).rm(names, o, globals(cmd));
      }),
    );

  program
    .command('wait')
    .description("wait until a pod is ready, has exited (exit code: its apps') or is deleted")
    .argument('<pod>')
    .addOption(new Option('--for <condition>', 'what to wait for').choices(['ready', 'exit', 'delete']).default('ready'))
    .option('--timeout <duration>', 'give up after this long (e.g. 60s, 2m; default 5m)')
    .action(run(async (name: string, o, cmd: Command) => (await import('./commands/wait.js')).wait(name, o, globals(cmd))));

  program
    .command('events')
    .description(
      'what happened to pods, like kubectl describe: created, started, probe failed (with output), killed, restarted, exited, OOMKilled',
    )
    .argument('[pod]', 'one pod (default: all)')
    .option('-f, --follow', 'keep printing new events until Ctrl-C')
    .addOption(outputOption(['table', 'json']))
    .action(run(async (name: string | undefined, o, cmd: Command) => (await import('./commands/events.js')).events(name, o, globals(cmd))));

  program
    .command('gc')
    .description(
      'remove what crashed creates and pods that are gone or stopped left behind: runtime containers, mounts, ' +
        'CNI attachments (leases, veths, chains, pins), cgroups, half-made pods; pods whose pause died are reported, not removed',
    )
    .addOption(outputOption(['text', 'json']))
    .action(run(async (o, cmd: Command) => (await import('./commands/gc.js')).gc(o, globals(cmd))));

  program
    .command('images')
    .description('list the image cache: reference, digest, size, last used')
    .addOption(outputOption(['table', 'json']))
    .action(run(async (o, cmd: Command) => (await import('./commands/images.js')).images(o, globals(cmd))));

  const image = program.command('image').description('manage the image cache');
  image
    .command('import')
    .description('add an image from a file: a rootfs tarball, an oci-archive or a docker-archive')
    .argument('<reference>', 'the name to give it, e.g. nginx:1.27')
    .argument('<file>')
    .action(
      run(async (ref: string, file: string, _o, cmd: Command) =>
        (await import('./commands/images.js')).importFile(ref, file, globals(cmd)),
      ),
    );
  image
    .command('rm')
    .description('remove images no pod uses')
    .argument('<reference...>')
    .action(run(async (refs: string[], _o, cmd: Command) => (await import('./commands/images.js')).remove(refs, globals(cmd))));
  image
    .command('prune')
    .description('remove every cached image no pod uses')
    .action(run(async (_o, cmd: Command) => (await import('./commands/images.js')).prune(globals(cmd))));

  program
    .command('doctor')
    .description(
      "check this host: root, runtime and its version, namespaces, overlayfs, cgroups, CNI plugins, nspod's binaries " +
        "(says what to install); where the state and data roots are, on what, with how much free; CNI CHECK of each running pod's network",
    )
    .action(
      run(async (_o, cmd: Command) => {
        const g = globals(cmd);
        return (await import('./commands/doctor.js')).runDoctor(
          { runtime: g.runtime, root: resolveStateRoot(g.root), dataRoot: g.dataRoot },
          out,
        );
      }),
    );

  program
    .command('version')
    .description('versions of nspod, its pause and the runtime')
    .action(run(async (_o, cmd: Command) => (await import('./commands/version.js')).version(globals(cmd))));

  const internal = new Command('internal').description("used by nspod's own processes");
  internal
    .command('container-exited')
    .argument('<pod>')
    .argument('<container>')
    .action(
      run(async (name: string, container: string, _o, cmd: Command) =>
        (await import('./commands/internal.js')).containerExited(name, container, globals(cmd)),
      ),
    );
  internal
    .command('deadline')
    .argument('<pod>')
    .argument('<uid>')
    .action(
      run(async (name: string, uid: string, _o, cmd: Command) =>
        (await import('./commands/internal.js')).deadline(name, uid, globals(cmd)),
      ),
    );
  internal
    .command('owner-exited')
    .argument('<pod>')
    .argument('<uid>')
    .action(
      run(async (name: string, uid: string, _o, cmd: Command) =>
        (await import('./commands/internal.js')).ownerExited(name, uid, globals(cmd)),
      ),
    );
  program.addCommand(internal, { hidden: true });
  return program;
}

/** Parses `argv` with commander and runs its command; returns the exit code (2 for commander's own usage errors). */
export async function runProgram(argv: string[]): Promise<number> {
  let code = 0;
  const program = buildProgram((c) => {
    code = c;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help' ? 0 : 2;
  }
}
