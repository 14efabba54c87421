// The public shape of `/health`, written once as a JSON Schema (TypeBox): the type below, the
// API's response schema and serialiser, and the dashboard's type all come from it. Imports
// nothing but TypeBox, so browser code can import its types.
import { Type, type Static } from 'typebox';

const DependencyState = Type.Union([Type.Literal('up'), Type.Literal('down')]);

const YoutubeState = Type.Union(
  [
    Type.Literal('ok'),
    Type.Literal('quota_exhausted'),
    Type.Literal('keys_suspect'),
    Type.Literal('keys_disabled'),
    Type.Literal('no_keys'),
    Type.Literal('unknown'),
  ],
  { description: 'quota_exhausted still answers 200: stored videos are served until the keys reset' },
);

const QuotaBucket = Type.Object({ used: Type.Integer(), limit: Type.Integer(), remaining: Type.Integer() });

/** The `/health` body, the same for 200 and 503. */
export const HealthBodySchema = Type.Object({
  isError: Type.Boolean(),
  message: Type.String(),
  checks: Type.Object({
    mysql: DependencyState,
    mysqlReplica: Type.Optional(
      Type.Union([Type.Literal('up'), Type.Literal('down')], {
        description:
          'The MySQL read replica, present only when MYSQL_READ_URL is set. down still answers 200 (degraded): listing and ' +
          'search are then read from the primary',
      }),
    ),
    redis: DependencyState,
    youtube: YoutubeState,
    feedChannel: Type.Union([Type.Literal('up'), Type.Literal('down')], {
      description:
        'The live-update channel (change notices from the worker). down still answers 200 (degraded): page 1 is then ' +
        'refreshed by time (within about a second) instead of at once on change',
    }),
  }),
  quotaResetAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
    description: 'When every key is out of quota: when the first one resets (midnight Pacific time)',
  }),
  keys: Type.Union(
    [Type.Object({ ok: Type.Integer(), exhausted: Type.Integer(), suspect: Type.Integer(), disabled: Type.Integer() }), Type.Null()],
    { description: 'YouTube API keys by state (null while Redis cannot be read)' },
  ),
  quota: Type.Union(
    [
      Type.Object({
        projects: Type.Integer({ description: 'Usable Google Cloud projects (keys of one project share its quota)' }),
        buckets: Type.Object({ search: QuotaBucket, units: QuotaBucket }),
      }),
      Type.Null(),
    ],
    {
      description:
        "Today's quota over the usable projects, by bucket: search (search.list calls, 100 a day per project by default) and " +
        'units (every other method, 10,000 a day); null while Redis cannot be read',
    },
  ),
  youtube: Type.Object(
    {
      searching: Type.Union([Type.Boolean(), Type.Null()], { description: 'false while no search can be made; null while unknown' }),
      resumesAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
        description: 'When searching resumes by itself (the quota reset); null when it takes an operator (or while searching)',
      }),
      message: Type.String({
        examples: ['Every usable YouTube key is out of quota: no search until 2024-05-15T07:00:00.000Z (midnight Pacific time); stored videos are still served.'],
      }),
    },
    { description: 'Whether the worker can search YouTube now, and what ends a pause' },
  ),
});
export type HealthBody = Static<typeof HealthBodySchema>;

/** The `/health/live` body: the process answers (no dependency is asked). */
export const LiveBodySchema = Type.Object({
  isError: Type.Literal(false),
  message: Type.Literal('live'),
});
export type LiveBody = Static<typeof LiveBodySchema>;
