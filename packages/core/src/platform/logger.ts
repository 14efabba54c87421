// Structured logging with pino (the logger Fastify itself uses). One root logger per process,
// child loggers per module. Secrets are never meant to reach a log call; the redaction list is
// a second line of defence for fields that could carry one by accident (an API key, a URL with
// `key=`, an Authorization header, a gaxios request config).
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import type { Config } from './config.js';
import { redactKeys } from './key-mask.js';

export type { Logger } from 'pino';

// `key` is not here: log lines name keys by their masked form under that field.
const REDACT_PATHS = [
  'apiKey',
  'auth',
  '*.apiKey',
  '*.auth',
  'config',
  '*.config',
  'err.config',
  'error.config',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
];

/**
 * Errors as logged: type, message, stack and code, with anything shaped like a `key=` URL
 * parameter scrubbed (a network error from the YouTube client carries the request URL, key
 * included, in its message), and nothing else (no request config, no response).
 */
export function serializeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: redactKeys(String(error)) };
  const { code } = error as { code?: unknown };
  return {
    type: error.name,
    message: redactKeys(error.message),
    ...(error.stack ? { stack: redactKeys(error.stack) } : {}),
    ...(typeof code === 'string' || typeof code === 'number' ? { code } : {}),
  };
}

export function loggerOptions(log: Config['log'], name: string): LoggerOptions {
  return {
    name,
    level: log.level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: { err: serializeError, error: serializeError },
    ...(log.format === 'pretty'
      ? {
          transport: {
            target: 'pino-pretty',
            options: { colorize: true, singleLine: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,name' },
          },
        }
      : {}),
  };
}

/** `destination` is for tests that read what was logged. */
export function createLogger(log: Config['log'], name: string, destination?: DestinationStream): Logger {
  return destination === undefined ? pino(loggerOptions(log, name)) : pino({ ...loggerOptions(log, name), transport: undefined }, destination);
}
