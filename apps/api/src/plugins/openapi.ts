// The OpenAPI document, generated from the route schemas (the same schemas that validate and
// serialise), at /docs/json, with Swagger UI at /docs. The generator is registered before the
// routes so it sees every one of them; the UI goes with the public routes (their rate limit) and
// under its own Content-Security-Policy.
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { SWAGGER_UI_CSP, usePagePolicy } from './security-headers.js';

export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'tubefeed',
        version: '0.1.0',
        description:
          'A live, searchable copy of the newest YouTube videos for the search queries this deployment follows. ' +
          'Every error answers `{"isError": true, "message": "…"}` with a message naming the parameter at fault.',
      },
      tags: [
        { name: 'feed', description: 'The established paginated feed contract' },
        { name: 'videos', description: 'Cursor listing and full-text search' },
        { name: 'queries', description: 'Followed search queries' },
        { name: 'service', description: 'Health' },
      ],
    },
    // Shared schemas ($id Video, ErrorBody) become components named after their $id.
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  });
}

export async function registerSwaggerUi(scope: FastifyInstance): Promise<void> {
  await scope.register(async (docs) => {
    usePagePolicy(docs, SWAGGER_UI_CSP);
    await docs.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list', deepLinking: true } });
  });
}
