/**
 * The CLI: one commander program, one file per command under commands/. `runCli` never exits the
 * process; it returns the exit code (0 ok, 1 failure, 2 invalid input or usage).
 */
import { Command, CommanderError } from 'commander';
import { isSudiError } from '../errors.ts';
import { createContext, ExitCode, type CliContext, type CliDeps } from './context.ts';
import { COMMANDS } from './commands/index.ts';

export function buildProgram(ctx: CliContext): Command {
  const program = new Command('sudi')
    .description('Sudi (速递): publish a weekly AI-paper digest as email, feeds and a static archive')
    .version('0.1.0')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => ctx.stdout.write(s), writeErr: (s) => ctx.stderr.write(s) });
  for (const register of COMMANDS) register(program, ctx);
  return program;
}

export async function runCli(argv: readonly string[], deps: CliDeps): Promise<number> {
  const ctx = createContext(deps);
  const program = buildProgram(ctx);
  program.commands.forEach((c) => c.exitOverride());
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof ExitCode) return e.code;
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      return 2;
    }
    if (isSudiError(e)) {
      ctx.err(`sudi: ${e.message}`);
      for (const p of e.problems) ctx.err(`  ${p}`);
      return e.exitCode;
    }
    ctx.err(`sudi: unexpected failure: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return 1;
  }
}
