import { ReelError } from '@reel/sdk';
import { CliErrorCodes, UsageError } from './args.ts';
import { ModuleLoadError } from './load-module.ts';
import { USAGE } from './usage.ts';

type Command = (argv: string[]) => Promise<void>;

// Loaded on demand: `reel workflow list` need not load Fastify, the worker or Postgres binaries.
const COMMANDS: Record<string, () => Promise<Command>> = {
  dev: async () => (await import('./dev.ts')).devCommand,
  server: async () => (await import('./serve-commands.ts')).serverCommand,
  worker: async () => (await import('./serve-commands.ts')).workerCommand,
  migrate: async () => (await import('./serve-commands.ts')).migrateCommand,
  workflow: async () => (await import('./workflow-commands.ts')).workflowCommand,
  batch: async () => (await import('./batch-commands.ts')).batchCommand,
  schedule: async () => (await import('./schedule-commands.ts')).scheduleCommand,
};

/** Runs one `reel` command (the `reel` binary is `main.ts`, which exits with its code); resolves to the exit code (long-running commands keep the process alive). */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE);
    return command === undefined ? 2 : 0;
  }
  const load = COMMANDS[command];
  try {
    if (!load)
      throw new UsageError(
        `Unknown command ${JSON.stringify(command)}. Commands: ${Object.keys(COMMANDS).join(', ')}.`,
      );
    if (rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(USAGE);
      return 0;
    }
    await (await load())(rest);
    return 0;
  } catch (err) {
    const json = rest.includes('--json');
    const code =
      err instanceof UsageError
        ? CliErrorCodes.USAGE
        : err instanceof ReelError
          ? err.code
          : CliErrorCodes.FAILED;
    const message = (err as Error)?.message ?? String(err);
    if (json) process.stderr.write(`${JSON.stringify({ error: { code, message } })}\n`);
    else
      process.stderr.write(
        `reel: ${message}${err instanceof UsageError && !(err instanceof ModuleLoadError) ? '\nRun reel --help for usage.' : ''}\n`,
      );
    return err instanceof UsageError ? 2 : 1;
  }
}
