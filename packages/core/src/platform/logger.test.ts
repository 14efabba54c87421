import { describe, expect, it } from 'vitest';
import { createLogger, serializeError } from './logger.js';

describe('logging', () => {
  it('scrubs key= from error messages and stacks, and drops request configs', () => {
    const error = Object.assign(new Error('request to https://youtube.googleapis.com/youtube/v3/search?key=SECRETKEY123456&q=x failed, reason: connect ECONNREFUSED'), {
      code: 'ECONNREFUSED',
      config: { url: 'https://youtube.googleapis.com/youtube/v3/search?key=SECRETKEY123456' },
    });
    const lines: string[] = [];
    const log = createLogger({ level: 'info', format: 'json' }, 'test', { write: (line: string) => void lines.push(line) });
    log.error({ err: error }, 'call failed');
    log.warn({ key: 'AIza…k3Qx', err: error.message }, 'key exhausted');
    expect(lines.join('\n')).not.toContain('SECRETKEY123456');
    const logged = JSON.parse(lines[0]!) as { err: { type: string; code: string; message: string } };
    expect(logged.err).toMatchObject({ type: 'Error', code: 'ECONNREFUSED' });
    expect(logged.err.message).toContain('key=[redacted]');
    expect(JSON.parse(lines[1]!)).toMatchObject({ key: 'AIza…k3Qx' });
    expect(serializeError(error)).not.toHaveProperty('config');
  });
});
