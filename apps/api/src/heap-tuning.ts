// Imported first by the API's entry point, before any other module allocates.
//
// V8 sizes the old generation's next collection from what was live after the last one, times a
// growing factor chosen by its heuristics (up to 4x). Under a steady stream of requests, the
// objects of requests in flight are promoted and are garbage soon after, so the heap grew to
// ~150 MB with ~45 MB live before a full collection ran (resident memory ~350 MB under a
// /health load of ~22,000 requests a second). A factor of 2 collects sooner, at ~2x what is
// live: ~220-240 MB resident in the same load. 1.5 held ~210 MB but cost a deep page ~250 µs
// more CPU in collections (measured side by side on 1,000,000 rows); 2 cost no more than noise.
import { setFlagsFromString } from 'node:v8';

export const HEAP_GROWING_PERCENT = 100;

setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
