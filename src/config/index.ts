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
export { colorWanted, userConfigDir } from './env.js';
export { ConfigError, CONFIG_ERRORS } from './errors.js';
export type { ConfigErrorCode } from './errors.js';
export {
  DEFAULT_ADMIN_PORT,
  DEFAULT_ADMIN_URL,
  DEFAULT_API_PORT,
  DEFAULT_API_URL,
  DEFAULT_HOST,
  DEFAULT_INVENTORY_PORT,
  DEFAULT_INVENTORY_URL,
  DEFAULT_OTLP_PORT,
  DEFAULT_OTLP_URL,
  DEFAULT_QUERY_PORT,
  DEFAULT_QUERY_URL,
  DEFAULT_REDIS_URL,
} from './defaults.js';
