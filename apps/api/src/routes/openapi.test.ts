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
      '/getData': ['limit', 'pageNo', 'query'],
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
  });

  it('serves Swagger UI at /docs', async () => {
    const response = await api.app.inject({ method: 'GET', url: '/docs' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/text\/html/);
    expect(response.body).toContain('swagger-ui');
  });
});
