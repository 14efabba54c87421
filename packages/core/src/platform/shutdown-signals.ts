// How both apps end on SIGINT/SIGTERM: the first signal runs `stop` (requests in flight or the
// running job finish), a second is ignored, and a backstop exits soon after the grace period
// whatever hangs (a job still held then runs again elsewhere once its lock expires: runs are
// idempotent). The process exits 0 when `stop` finished, 1 when it failed.
import type { Logger } from 'pino';

export interface ShutdownSignalOptions {
  readonly log: Logger;
  /** How long `stop` may take before the backstop exits anyway (plus 1.5 s). */
  readonly graceMs: number;
  /** Said in the last log line: "<name> stopped". */
  readonly name: string;
  readonly stop: () => Promise<void>;
}

export interface ShutdownSignals {
  /** Whether a signal has arrived (a process still booting then does not start listening). */
  readonly closing: () => boolean;
}

const BACKSTOP_MARGIN_MS = 1500;

export function handleShutdownSignals({ log, graceMs, name, stop }: ShutdownSignalOptions): ShutdownSignals {
  let closing = false;
  async function shutdown(signal: NodeJS.Signals): Promise<void> {
    if (closing) return;
    closing = true;
    log.info({ signal }, 'shutting down');
    setTimeout(() => {
      log.warn({ graceMs }, 'shutdown did not finish in time; exiting');
      process.exit(0);
    }, graceMs + BACKSTOP_MARGIN_MS).unref();
    try {
      await stop();
    } catch (error) {
      log.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
    log.info(`${name} stopped`);
    process.exit(0);
  }
  // `on`, not `once`: with no listener left a second signal would end the process mid-stop.
  // Under `npm start` a second one is the rule: Ctrl-C comes from the terminal and from the
  // launcher, and when one child exits the launcher sends the other SIGTERM again.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void shutdown(signal));
  return { closing: () => closing };
}

/**
 * A boot that failed (MySQL or Redis unreachable, the port taken): one fatal log line that says
 * why (`context` names the settings involved), then exit 1. The stack would only repeat the message: the cause is the environment.
 */
export function exitOnStartFailure(log: Logger, name: string, error: unknown, context?: string): never {
  const reason = `${context === undefined ? '' : `${context}: `}${error instanceof Error ? error.message : String(error)}`;
  const code = error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
  log.fatal({ reason, code }, `${name} could not start: ${reason}`);
  process.exit(1);
}
