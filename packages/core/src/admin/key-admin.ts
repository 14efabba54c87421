// Run-time management of YouTube API keys (the admin API): list with their state, add (after
// checking the key with YouTube), enable or disable, relabel, remove. Every change is announced
// on the control channel, so every worker uses it without a restart. A key is never returned:
// only its masked form and fingerprint. A label is operator text (platform/operator-text.ts):
// normalised, and refused with the field named when it holds a control, invisible or
// bidirectional character, before YouTube is asked anything.
import type { Clock } from '../platform/clock.js';
import type { ControlChannel } from './control-channel.js';
import { ConflictError, InvalidRequestError, NotFoundError, UpstreamError } from '../platform/errors.js';
import type { Logger } from '../platform/logger.js';
import { API_KEY_PATTERN, PROJECT_LABEL_PATTERN } from '../platform/config.js';
import { toApiKeyView, type ApiKeyRepository, type KeyTarget } from '../ingest/youtube/api-key-repository.js';
import { maskKey } from '../platform/key-mask.js';
import { checkOperatorText, KEY_LABEL_MAX_LENGTH } from '../platform/operator-text.js';
import { poolKey, storedPoolKey, type KeyPool } from '../ingest/youtube/key-pool.js';
import { METHOD_COST } from '../ingest/youtube/quota-buckets.js';
import type { YoutubeClient } from '../ingest/youtube/youtube-client.js';
import { YoutubeApiError } from '../ingest/youtube/youtube-errors.js';
import type { AdminKeyView } from './admin-schemas.js';

/**
 * active: in use; exhausted: its project's search bucket is spent until the reset; suspect: set
 * aside after answers no known error explains (until the next quota day or an enable);
 * rejected: refused by YouTube; disabled: switched off by an operator.
 */
export type AdminKeyState = AdminKeyView['state'];

export interface KeyAdminDeps {
  readonly keys: ApiKeyRepository;
  readonly pool: Pick<KeyPool, 'statusOf' | 'enable' | 'markExhausted' | 'charge' | 'forget'>;
  readonly youtube: Pick<YoutubeClient, 'probeKey'>;
  readonly control: Pick<ControlChannel, 'publish'>;
  readonly target: KeyTarget;
  readonly clock: Clock;
  readonly log: Logger;
}

export type KeyAdmin = ReturnType<typeof createKeyAdmin>;

export function createKeyAdmin({ keys, pool, youtube, control, target, log }: KeyAdminDeps) {
  async function views(rows: Awaited<ReturnType<ApiKeyRepository['list']>>): Promise<AdminKeyView[]> {
    const states = await pool.statusOf(rows.map(storedPoolKey));
    return rows.map((row, i) => {
      const status = states[i]!;
      const state: AdminKeyState =
        row.enabled !== 1
          ? 'disabled'
          : status.state === 'disabled'
            ? 'rejected'
            : status.state === 'ok'
              ? 'active'
              : status.state;
      return {
        ...toApiKeyView(row),
        state,
        exhaustedUntil: status.exhaustedUntil,
        rejectedReason: status.disabledReason,
        suspectReason: status.suspectReason,
        suspectUntil: status.suspectUntil,
        quota: status.quota,
        callsToday: status.callsToday,
        errorsToday: status.errorsToday,
        lastUsedAt: status.lastUsedAt,
        lastError: status.lastError,
        lastErrorAt: status.lastErrorAt,
      };
    });
  }

  async function viewOf(id: number): Promise<AdminKeyView> {
    const row = await keys.findById(id);
    if (row === undefined || row.target !== target) throw new NotFoundError(`no API key with id ${id}`);
    return (await views([row]))[0]!;
  }

  async function list(): Promise<AdminKeyView[]> {
    return views(await keys.list(target));
  }

  /**
   * Checks the key with one cheap call (videos.list: 1 unit of its project's units bucket, never
   * a search) and stores it if YouTube accepts it. `project` names the Google Cloud project whose
   * quota it shares with other keys; without one it counts as a project of its own.
   */
  async function add(key: string, label?: string, project?: string | null): Promise<AdminKeyView> {
    if (!API_KEY_PATTERN.test(key)) {
      throw new InvalidRequestError('key', 'key must be 6 to 100 letters, digits, _ or -');
    }
    checkProject(project);
    const checkedLabel = label === undefined ? undefined : checkLabel(label);
    const existing = await keys.findByKey(key);
    if (existing !== undefined) throw new ConflictError(`this key is already stored (id ${existing.id})`);
    const probe = poolKey(key, { project: project ?? null });
    let outOfQuota = false;
    try {
      await youtube.probeKey(key);
    } catch (error) {
      if (!(error instanceof YoutubeApiError)) throw error;
      switch (error.kind) {
        case 'quota':
          outOfQuota = true; // a valid key whose quota is spent for today
          break;
        case 'rejected':
          throw new UpstreamError('refused', `YouTube rejected the key (${error.reason}); it was not added`);
        case 'transient':
          throw new UpstreamError('unavailable', `YouTube could not check the key just now (${error.reason}); try again`);
        case 'request':
          throw new UpstreamError('unavailable', `YouTube refused the key check (${error.reason})`);
        case 'unknown':
          throw new UpstreamError('unavailable', `YouTube answered the key check in a way no known error explains (${error.reason}); it was not added`);
      }
    } finally {
      const { bucket, cost } = METHOD_COST['videos.list'];
      await pool.charge(probe, bucket, cost);
    }
    const row = await keys.add(key, checkedLabel ?? maskKey(key), target, project ?? null);
    if (row === undefined) throw new ConflictError('this key is already stored');
    if (outOfQuota) await pool.markExhausted(probe, METHOD_COST['videos.list'].bucket);
    await control.publish('keys-changed');
    log.info({ key: probe.masked, id: row.id, outOfQuota }, 'API key added');
    return viewOf(row.id);
  }

  async function update(
    id: number,
    changes: { enabled?: boolean | undefined; label?: string | undefined; project?: string | null | undefined },
  ): Promise<AdminKeyView> {
    checkProject(changes.project);
    const applied = changes.label === undefined ? changes : { ...changes, label: checkLabel(changes.label) };
    const before = await viewOf(id);
    await keys.update(id, applied);
    // Enabling is an operator's decision: it also clears a rejection or suspicion YouTube gave
    // the key, and its project's exhaustion.
    if (applied.enabled === true) await pool.enable({ id: before.fingerprint, project: applied.project !== undefined ? applied.project : before.project });
    await control.publish('keys-changed');
    log.info({ key: before.masked, id, ...applied }, 'API key changed');
    return viewOf(id);
  }

  async function remove(id: number): Promise<void> {
    const before = await viewOf(id);
    await keys.remove(id);
    await pool.forget({ id: before.fingerprint });
    await control.publish('keys-changed');
    log.info({ key: before.masked, id }, 'API key removed');
  }

  return { list, get: viewOf, add, update, remove };
}

function checkLabel(label: string): string {
  const checked = checkOperatorText('label', label, KEY_LABEL_MAX_LENGTH);
  if (!checked.ok) throw new InvalidRequestError('label', checked.problem);
  return checked.text;
}

function checkProject(project: string | null | undefined): void {
  if (project != null && !PROJECT_LABEL_PATTERN.test(project)) {
    throw new InvalidRequestError('project', 'project must be 1 to 64 letters, digits, _ . or - (the Google Cloud project the key belongs to)');
  }
}
