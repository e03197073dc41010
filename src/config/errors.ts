import { TracelabError } from '../errors/index.js';

/** Settings that cannot be read: a bad flag, value, environment variable or config file. */
export const CONFIG_ERRORS = {
  CONFIG_ERR_BAD_ARGS: 'the command line cannot be parsed',
  CONFIG_ERR_BAD_VALUE: 'a setting has a value that is not accepted',
  CONFIG_ERR_FILE: 'the config file cannot be used',
  CONFIG_ERR_MISSING: 'a required setting has no value',
} as const;
export type ConfigErrorCode = keyof typeof CONFIG_ERRORS;

export class ConfigError extends TracelabError {
  constructor(code: ConfigErrorCode, message: string) {
    super(code, message);
  }
}
