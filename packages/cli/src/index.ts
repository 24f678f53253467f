export { exitCodeOf, NoSessionError, StateError, UsageError } from './errors.js';
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
} from './params.js';
export {
  type CommandDef,
  type CommandEntry,
  commandsFor,
  type HandlerResult,
  type Parsed,
  Registry,
  type RegistryOptions,
} from './registry.js';
export { editDistance, nearest } from './suggest.js';
export { type Tokens, tokenize } from './tokenize.js';
