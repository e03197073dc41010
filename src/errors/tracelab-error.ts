export interface TracelabErrorOptions {
  /** What the user can do about it, printed under the message. */
  readonly hint?: string;
  readonly cause?: unknown;
}

/**
 * The base of every coded error. Each module keeps its own catalogue of codes (`BUS_ERR_…`,
 * `WL_ERR_…`, `CONFIG_ERR_…`) and derives its error from this one; only the edges decide what a
 * code means to the outside (the CLI entry maps codes to exit codes, an HTTP app to statuses).
 */
export class TracelabError extends Error {
  readonly hint: string | undefined;
  constructor(
    readonly code: string,
    message: string,
    options: TracelabErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.hint = options.hint;
  }
}
