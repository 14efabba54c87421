// Every call the YouTube endpoints received, in order, for tests and the demo to inspect
// ("did the fetcher page past 500?", "how many searches did that run spend?"). Keys appear only
// masked. The log keeps the most recent entries so a long-running simulator stays small.
import type { QuotaBucket } from './quota-buckets.js';

export type EndpointName = 'search.list' | 'videos.list' | 'channels.list' | 'playlistItems.list';

export interface CallRecord {
  seq: number;
  /** Sim-clock time the call arrived. */
  at: string;
  endpoint: EndpointName;
  /** Query parameters as received, without `key`. */
  params: Record<string, string | string[]>;
  /** Masked key, or null when the call had none. */
  key: string | null;
  /** Position of the key in the simulator's key list; null when missing or unknown. */
  keyIndex: number | null;
  /** HTTP status; null when no answer was sent (a hung call the client gave up on). */
  status: number | null;
  /**
   * errors[0].reason of an error answer (null for a body without `errors`);
   * "clientClosed"/"simulatorClosed"/"connectionDropped" for calls that got no answer.
   */
  reason: string | null;
  /** The bucket of the key's project the call was charged to; null when it cost nothing. */
  bucket: QuotaBucket | null;
  /** How much it took from that bucket (calls for search and insert, units otherwise); 0 when free. */
  units: number;
  /** Items in a successful answer. */
  results: number | null;
  /**
   * Ids of the videos a successful search.list answer listed, in its order (null for other
   * calls): what a client could have seen, e.g. to tell a video it missed from one deleted
   * before any search showed it.
   */
  videoIds: string[] | null;
}

export class CallLog {
  private entries: CallRecord[] = [];
  private seq = 0;

  constructor(private readonly capacity: number) {}

  record(entry: Omit<CallRecord, 'seq'>): CallRecord {
    this.seq += 1;
    const record = { seq: this.seq, ...entry };
    this.entries.push(record);
    if (this.entries.length > this.capacity) this.entries = this.entries.slice(-Math.ceil(this.capacity * 0.9));
    return record;
  }

  list(): CallRecord[] {
    return [...this.entries];
  }

  clear(): void {
    this.entries = [];
  }
}
