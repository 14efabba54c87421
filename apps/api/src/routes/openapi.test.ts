import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '@tubefeed/core';
import { createTestDatabase, type TestDatabase } from '@tubefeed/core/testing';
import { buildTestApi, type TestApi } from '../testing/test-api.js';

let db: TestDatabase;
let api: TestApi;
beforeAll(async () => {
  db = await createTestDatabase();
  api = await buildTestApi({ clock: systemClock, databaseUrl: db.url });
});
afterAll(async () => {
  await api.close();
  await db.drop();
});

interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, { parameters?: Array<{ name: string; in: string; schema: Record<string, unknown> }>; responses: Record<string, unknown> }>>;
  components: { schemas: Record<string, unknown> };
}

describe('OpenAPI', () => {
  it('documents every public route, its parameters and its responses, errors included', async () => {
    const response = await api.app.inject({ method: 'GET', url: '/docs/json' });
    expect(response.statusCode).toBe(200);
    const doc = response.json<OpenApiDocument>();
    expect(doc.openapi).toBe('3.1.0');
    const listingDetails = ['minViews', 'minDuration', 'maxDuration', 'live', 'language', 'includeUnavailable'];
    const publicRoutes = {
      '/health': [],
      '/health/live': [],
      '/getData': ['limit', 'pageNo', 'query', 'channel'],
      '/videos': ['query', 'channel', 'publishedAfter', 'publishedBefore', ...listingDetails, 'limit', 'cursor', 'sort', 'order'],
      '/videos/search': ['q', 'query', 'channel', 'publishedAfter', 'publishedBefore', ...listingDetails, 'limit', 'cursor', 'sort', 'order'],
      '/queries': [],
    };
    for (const [path, params] of Object.entries(publicRoutes)) {
      const get = doc.paths[path]?.get;
      expect(get, path).toBeDefined();
      expect((get!.parameters ?? []).map((p) => p.name).sort(), path).toEqual([...params].sort());
      expect(Object.keys(get!.responses), path).toContain('200');
    }
    // Liveness and readiness, both under the service tag.
    for (const path of ['/health', '/health/live']) expect((doc.paths[path]!.get as { tags?: string[] }).tags, path).toEqual(['service']);
    for (const path of ['/getData', '/videos', '/videos/search']) {
      expect(Object.keys(doc.paths[path]!.get!.responses).sort(), path).toEqual(['200', '400', '500', '503']);
    }
    const limit = doc.paths['/getData']!.get!.parameters!.find((p) => p.name === 'limit')!;
    expect(limit.schema).toMatchObject({ type: 'integer', minimum: 1, maximum: 100, default: 10 });
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['Video', 'ErrorBody']));
    // The listing item: the established fields, then what the enrichment adds, typed and nullable.
    const video = doc.components.schemas.Video as { properties: Record<string, { type?: unknown; enum?: unknown; items?: unknown; format?: string }>; required: string[] };
    expect(Object.keys(video.properties)).toEqual([
      'video_id', 'title', 'description', 'published_at', 'thumbnail_default', 'thumbnail_medium', 'thumbnail_high', 'channel_id', 'channel_title', 'url',
      'duration_seconds', 'view_count', 'like_count', 'comment_count', 'live_state', 'scheduled_start_at', 'actual_start_at', 'actual_end_at',
      'tags', 'category_id', 'default_language', 'definition', 'has_captions', 'made_for_kids', 'available', 'unavailable_since', 'details_updated_at',
    ]);
    expect(video.required).toEqual(Object.keys(video.properties));
    // (The document lists a nullable type's members in its own order.)
    const typeOf = (name: string) => [video.properties[name]!.type].flat().sort();
    for (const name of ['duration_seconds', 'view_count', 'like_count', 'comment_count']) expect(typeOf(name), name).toEqual(['integer', 'null']);
    for (const name of ['scheduled_start_at', 'actual_start_at', 'actual_end_at', 'unavailable_since', 'details_updated_at']) {
      expect(typeOf(name), name).toEqual(['null', 'string']);
      expect(video.properties[name]!.format, name).toBe('date-time');
    }
    expect(typeOf('live_state')).toEqual(['null', 'string']);
    expect(video.properties.live_state!.enum).toEqual(['none', 'upcoming', 'live', 'completed', null]);
    expect(video.properties.definition!.enum).toEqual(['hd', 'sd', null]);
    expect(typeOf('tags')).toEqual(['array', 'null']);
    expect(video.properties.tags!.items).toEqual({ type: 'string' });
    expect(typeOf('has_captions')).toEqual(['boolean', 'null']);
    expect(video.properties.available!.type).toBe('boolean');
  });

  it('serves Swagger UI at /docs', async () => {
    const response = await api.app.inject({ method: 'GET', url: '/docs' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/text\/html/);
    expect(response.body).toContain('swagger-ui');
  });
});
