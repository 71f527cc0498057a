// The headless command line: `grainlab <command>`. Exit code 0 on success, non-zero with a
// one-line error on stderr otherwise. Each command group registers itself from main/cli/commands/.
import { Command, CommanderError } from 'commander';
import { ServiceError } from '../../app/errors';
import { VERSION } from './common';
import { registerProjectCommands } from './commands/project';
import { registerEvalCommands } from './commands/eval';
import { registerSynthCommands } from './commands/synth';
import { registerClusterCommands } from './commands/cluster';
import { registerExportCommands } from './commands/export';
import { registerSamCommands } from './commands/sam';
import { registerPresetCommands } from './commands/presets';
import { registerCalibrateCommands } from './commands/calibrate';
import { registerClassCommands } from './commands/classes';
import { registerVersionCommands } from './commands/versions';
import { registerBatchCommands } from './commands/batch';
import { registerLearnCommands } from './commands/learn';
import { registerStackCommands } from './commands/stack';
import { registerChannelCommands } from './commands/channels';

function buildProgram(): Command {
  const program = new Command();
  program
    .name('grainlab')
    .description('GrainLab: segment micrographs, correct them, export curated data. Headless commands.')
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerProjectCommands(program);
  registerEvalCommands(program);
  registerSynthCommands(program);
  registerClusterCommands(program);
  registerExportCommands(program);
  registerSamCommands(program);
  registerPresetCommands(program);
  registerCalibrateCommands(program);
  registerClassCommands(program);
  registerVersionCommands(program);
  registerBatchCommands(program);
  registerLearnCommands(program);
  registerStackCommands(program);
  registerChannelCommands(program);
  return program;
}

/** Runs the CLI and returns the exit code (no process.exit inside, so tests can call it). */
export async function runCli(argv: string[]): Promise<number> {
  const program = buildProgram();
  program.configureOutput({ writeErr: (s) => process.stderr.write(s) });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    const msg = e instanceof Error ? e.message : String(e);
    process.stderr.write(`grainlab: ${msg.split('\n')[0]}\n`);
    return e instanceof ServiceError && e.code === 'cancelled' ? 130 : 1;
  }
}
