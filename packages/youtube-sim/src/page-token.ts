// Page tokens in YouTube's own shape: a tiny protobuf (field 1 = offset, field 2 = direction)
// in unpadded base64url, so page 2 of a 5-per-page search is "CAUQAA" and the way back from it is
// "CAUQAQ", as the real API answers. Clients must treat them as opaque; the simulator only needs
// to recognise its own.

export type PageDirection = 'next' | 'prev';

export interface PageToken {
  /** next: first item of the page; prev: the item just after the wanted page. */
  offset: number;
  direction: PageDirection;
}

/** Larger offsets are refused as garbage (search never pages past ~500 anyway). */
const MAX_OFFSET = 1_000_000;

function varint(value: number): number[] {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest & 0x7f) | 0x80);
    rest = Math.floor(rest / 128);
  }
  bytes.push(rest);
  return bytes;
}

export function encodePageToken(token: PageToken): string {
  const bytes = [0x08, ...varint(token.offset), 0x10, token.direction === 'prev' ? 1 : 0];
  return Buffer.from(bytes).toString('base64url');
}

/** The token's meaning, or undefined for anything this simulator did not issue. */
export function decodePageToken(text: string): PageToken | undefined {
  if (!/^[A-Za-z0-9_-]{4,16}$/.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  if (bytes[0] !== 0x08) return undefined;
  let offset = 0;
  let multiplier = 1;
  let i = 1;
  for (;;) {
    const byte = bytes[i];
    if (byte === undefined || i > 4) return undefined;
    offset += (byte & 0x7f) * multiplier;
    multiplier *= 128;
    i++;
    if ((byte & 0x80) === 0) break;
  }
  if (bytes[i] !== 0x10 || i + 2 !== bytes.length) return undefined;
  const direction = bytes[i + 1];
  if ((direction !== 0 && direction !== 1) || offset > MAX_OFFSET) return undefined;
  // Reject non-canonical spellings so that every offset has exactly one token.
  const token: PageToken = { offset, direction: direction === 1 ? 'prev' : 'next' };
  return encodePageToken(token) === text ? token : undefined;
}
