// Entry point of the `grainlab` command (bin/grainlab.mjs loads the bundle built from this file).
import { runCli } from './index';

runCli(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
