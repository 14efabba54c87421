// How an API key may appear anywhere outside the key pool: masked ("AIza…Xk3Q") or as a
// fingerprint (a one-way hash, used as the key's id in Redis and job data).
import { createHash } from 'node:crypto';

export function maskKey(key: string): string {
  if (key.length >= 16) return `${key.slice(0, 4)}…${key.slice(-4)}`;
  if (key.length >= 6) return `…${key.slice(-2)}`;
  return '…';
}

export function keyFingerprint(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

/** Removes a key (and anything that looks like a `key=` URL parameter) from a text. */
export function redactKeys(text: string, keys: readonly string[] = []): string {
  let out = text.replace(/([?&]key=)[^&\s"']+/gi, '$1[redacted]');
  for (const key of keys) if (key.length > 0) out = out.split(key).join(maskKey(key));
  return out;
}
