/**
 * Progress for long work, on stderr so stdout stays the result: on a terminal one line
 * rewritten in place; otherwise (a pipe, a CI log) a plain line now and then.
 */
export interface StatusLine {
  update(text: string): void;
  /** Leaves the last text on its own line. */
  done(text?: string): void;
}

export function createStatusLine(
  stream: NodeJS.WriteStream = process.stderr,
  plainEveryMs = 5000,
): StatusLine {
  let last = '';
  let lastPlainAt = 0;
  if (stream.isTTY) {
    return {
      update(text) {
        last = text;
        stream.write(`\r\x1b[2K${text.slice(0, (stream.columns ?? 100) - 1)}`);
      },
      done(text) {
        stream.write(`\r\x1b[2K${text ?? last}\n`);
      },
    };
  }
  return {
    update(text) {
      last = text;
      const now = Date.now();
      if (now - lastPlainAt >= plainEveryMs) {
        lastPlainAt = now;
        stream.write(`${text}\n`);
      }
    },
    done(text) {
      if (text ?? last) stream.write(`${text ?? last}\n`);
    },
  };
}

/** `[#########-----------]` for a share done between 0 and 1. */
export function bar(share: number, width = 24): string {
  const filled = Math.round(Math.min(1, Math.max(0, share)) * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
}
