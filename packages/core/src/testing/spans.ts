// Time spans in tests: how many were open at once (runs of a query, calls in flight).

/** The most spans open at one instant; at equal instants an end comes first, so back-to-back spans do not overlap. */
export function maxOverlap(spans: ReadonlyArray<{ readonly start: number; readonly end: number }>): number {
  const edges = spans.flatMap((s) => [
    { at: s.start, by: 1 },
    { at: s.end, by: -1 },
  ]);
  edges.sort((a, b) => a.at - b.at || a.by - b.by);
  let open = 0;
  let max = 0;
  for (const edge of edges) max = Math.max(max, (open += edge.by));
  return max;
}
