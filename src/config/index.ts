export {
  CONFIG_OPTION,
  MAX_PORT,
  formatHelp,
  opt,
  parseCommandLine,
  portOption,
} from './options.js';
export type {
  OptionSource,
  OptionSpec,
  OptionType,
  OptionValue,
  OptionValues,
  ParsedCommandLine,
} from './options.js';
export { parseDurationUs } from './duration.js';
export { ConfigError, CONFIG_ERRORS } from './errors.js';
export type { ConfigErrorCode } from './errors.js';
