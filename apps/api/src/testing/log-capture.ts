// A logger whose lines a test can read (parsed JSON, in order).
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '@tubefeed/core';

export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [field: string]: unknown;
}

export interface CapturedLog {
  readonly log: Logger;
  readonly lines: LogLine[];
  /** Everything logged, as written (for "never appears" checks). */
  text(): string;
}

export function captureLog(level: 'info' | 'debug' | 'warn' = 'info'): CapturedLog {
  const raw: string[] = [];
  const lines: LogLine[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      const text = chunk.toString();
      raw.push(text);
      lines.push(JSON.parse(text) as LogLine);
      done();
    },
  });
  return { log: createLogger({ level, format: 'json' }, 'test', destination), lines, text: () => raw.join('') };
}
