// Every migration, by name. Names are timestamps so they sort in the order they were written;
// the list is static (not a directory scan) so built and source runs see the same set.
import type { Migration } from 'kysely';
import * as createFeedTables from './20261121090000_create_feed_tables.js';
import * as queryFetchState from './20261121120000_query_fetch_state.js';
import * as videoSearch from './20261121150000_video_search.js';
import * as apiKeys from './20261121180000_api_keys.js';
import * as queryCheckedUntil from './20261121200000_query_checked_until.js';
import * as apiKeyState from './20261122090000_api_key_state.js';
import * as apiKeyProjects from './20261206090000_api_key_projects.js';
import * as querySweepMarks from './20261206100000_query_sweep_marks.js';
import * as queryFetchEpoch from './20261207090000_query_fetch_epoch.js';
import * as videoJson from './20261208090000_video_json.js';
import * as serviceSecrets from './20261208100000_service_secrets.js';
import * as queryTextCollation from './20261209090000_query_text_collation.js';
import * as feedEvents from './20261210090000_feed_events.js';
import * as webhooks from './20261210100000_webhooks.js';
import * as videoDetails from './20261211090000_video_details.js';
import * as listingSortIndexes from './20261211100000_listing_sort_indexes.js';
import * as followedChannels from './20261211110000_followed_channels.js';
import * as channelFeedCounts from './20261212090000_channel_feed_counts.js';
import * as listedFeeds from './20261212100000_listed_feeds.js';
import * as feedJson from './20261213090000_feed_json.js';
import * as tenMinuteBuckets from './20261213100000_ten_minute_buckets.js';

export const migrations: Readonly<Record<string, Migration>> = {
  '20261121090000_create_feed_tables': createFeedTables,
  '20261121120000_query_fetch_state': queryFetchState,
  '20261121150000_video_search': videoSearch,
  '20261121180000_api_keys': apiKeys,
  '20261121200000_query_checked_until': queryCheckedUntil,
  '20261122090000_api_key_state': apiKeyState,
  '20261206090000_api_key_projects': apiKeyProjects,
  '20261206100000_query_sweep_marks': querySweepMarks,
  '20261207090000_query_fetch_epoch': queryFetchEpoch,
  '20261208090000_video_json': videoJson,
  '20261208100000_service_secrets': serviceSecrets,
  '20261209090000_query_text_collation': queryTextCollation,
  '20261210090000_feed_events': feedEvents,
  '20261210100000_webhooks': webhooks,
  '20261211090000_video_details': videoDetails,
  '20261211100000_listing_sort_indexes': listingSortIndexes,
  '20261211110000_followed_channels': followedChannels,
  '20261212090000_channel_feed_counts': channelFeedCounts,
  '20261212100000_listed_feeds': listedFeeds,
  '20261213090000_feed_json': feedJson,
  '20261213100000_ten_minute_buckets': tenMinuteBuckets,
};
