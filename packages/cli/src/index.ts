export { type SysContext, type SysRegistry, sysGlobals, sysRegistry } from './commands.js';
export {
  BROKEN_PIPE_EXIT,
  CancelledError,
  exitCodeOf,
  isBrokenPipe,
  NoSessionError,
  UsageError,
} from './errors.js';
export { OutFileError, type OutWrite, writeFileAtomic, writeOutFile } from './files.js';
export { type MainOptions, main, PROMPT, processIo, type SysIo } from './main.js';
export { Output, type OutputOptions, type OutStream } from './output.js';
export {
  type ArgsOf,
  coerce,
  expectation,
  type Param,
  type ParamSpec,
  type Params,
  type ParamType,
  param,
  requiredPositional,
} from './params.js';
export {
  type CommandDef,
  type CommandEntry,
  commandsFor,
  type Parsed,
  Registry,
  type RegistryOptions,
} from './registry.js';
export { type LineResult, type Repl, type ReplIo, type ReplOptions, startRepl } from './repl.js';
export { CliSession, type CliSessionOptions, type ManagerFactory } from './session.js';
export { editDistance, nearest } from './suggest.js';
export { type Tokens, tokenize } from './tokenize.js';
