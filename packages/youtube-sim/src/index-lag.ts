// How long search takes to find a published video. Most videos show up within a couple of
// minutes; a few take an hour, and a small share (premieres, long processing) several hours,
// which is what defeats a "newest publishedAt seen" watermark with a short overlap. The model is
// a list of cumulative tiers: tier i holds `share` of the videos, spread uniformly between the
// previous tier's `maxMs` (0 for the first) and its own. A video's lag is its uniform
// `indexDelayShare` draw mapped through this distribution's inverse, so it stays a pure function
// of the seed.

export interface IndexLagTier {
  /** Share (0..1) of all videos in this tier; the shares of all tiers add up to 1. */
  share: number;
  /** Upper end of the tier's lag, ms; the lower end is the previous tier's `maxMs`. */
  maxMs: number;
}

/** 96.5 % within 2 minutes, 3 % between 2 and 60 minutes, 0.5 % between 1 and 12 hours. */
export const DEFAULT_INDEX_LAG: readonly IndexLagTier[] = Object.freeze([
  Object.freeze({ share: 0.965, maxMs: 120_000 }),
  Object.freeze({ share: 0.03, maxMs: 3_600_000 }),
  Object.freeze({ share: 0.005, maxMs: 43_200_000 }),
]);

/** `maxIndexDelayMs` as a lag model: one tier, uniform over [0, max]. */
export function uniformIndexLag(maxMs: number): IndexLagTier[] {
  return [{ share: 1, maxMs }];
}

const SHARE_TOLERANCE = 1e-9;

/** Validates tiers: shares from 0 to 1 adding up to 1, `maxMs` never decreasing, at most 7 days. */
export function parseIndexLag(tiers: readonly IndexLagTier[]): IndexLagTier[] {
  if (!Array.isArray(tiers) || tiers.length === 0) throw new RangeError('indexLag needs at least one tier');
  let previousMax = 0;
  let total = 0;
  const out = tiers.map((tier: unknown, i): IndexLagTier => {
    const { share, maxMs } = (typeof tier === 'object' && tier !== null ? tier : {}) as Partial<Record<keyof IndexLagTier, unknown>>;
    if (typeof share !== 'number' || !(share >= 0 && share <= 1)) throw new RangeError(`indexLag[${i}].share must be a number from 0 to 1`);
    if (typeof maxMs !== 'number' || !Number.isFinite(maxMs) || maxMs < previousMax || maxMs > 7 * 86_400_000) {
      throw new RangeError(`indexLag[${i}].maxMs must be from ${previousMax} (the tier before it) to 604800000 ms`);
    }
    previousMax = maxMs;
    total += share;
    return { share, maxMs };
  });
  if (Math.abs(total - 1) > SHARE_TOLERANCE) throw new RangeError(`indexLag shares must add up to 1, got ${total}`);
  return out;
}

/** The lag for a uniform draw `u` in [0, 1]: the inverse of the tiers' distribution function. */
export function lagFor(tiers: readonly IndexLagTier[], u: number): number {
  let below = 0;
  let lowMs = 0;
  for (const tier of tiers) {
    if (tier.share > 0 && u < below + tier.share) {
      return Math.round(lowMs + ((u - below) / tier.share) * (tier.maxMs - lowMs));
    }
    below += tier.share;
    lowMs = tier.maxMs;
  }
  // u = 1 (or rounding in the shares' sum): the top of the last tier.
  return tiers[tiers.length - 1]?.maxMs ?? 0;
}

/**
 * `SIM_INDEX_LAG`: tiers written `share:maxMs` separated by commas, e.g.
 * `0.965:120000,0.03:3600000,0.005:43200000`.
 */
export function parseIndexLagText(text: string): IndexLagTier[] {
  const tiers = text.split(',').map((part) => {
    const match = /^\s*([0-9]*\.?[0-9]+)\s*:\s*(\d+)\s*$/.exec(part);
    if (match === null) throw new RangeError(`"${part.trim().slice(0, 40)}" is not share:maxMs`);
    return { share: Number(match[1]), maxMs: Number(match[2]) };
  });
  return parseIndexLag(tiers);
}
