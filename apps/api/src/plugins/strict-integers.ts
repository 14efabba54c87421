// Ajv's type coercion is lenient with integers in query strings: it accepts "0x10", " 5",
// "1e2" and even turns a 400-digit number into Infinity that passes `maximum`. Before
// validation, each integer parameter must be plain decimal digits; anything else fails with
// the same 400 message as any other validation error.
import type { FastifyInstance, FastifyRequest } from 'fastify';

const DECIMAL_INTEGER = /^-?\d{1,15}$/;

interface QuerySchema {
  properties?: Record<string, { type?: unknown }>;
}

function integerParams(schema: QuerySchema | undefined): string[] {
  return Object.entries(schema?.properties ?? {})
    .filter(([, property]) => property.type === 'integer')
    .map(([name]) => name);
}

export function registerStrictIntegers(app: FastifyInstance): void {
  const cache = new WeakMap<object, string[]>();
  app.addHook('preValidation', async (request: FastifyRequest) => {
    const schema = (request.routeOptions.schema as { querystring?: QuerySchema } | undefined)?.querystring;
    if (schema === undefined) return;
    let names = cache.get(schema);
    if (names === undefined) {
      names = integerParams(schema);
      cache.set(schema, names);
    }
    const query = request.query as Record<string, unknown>;
    for (const name of names) {
      const value = query[name];
      if (typeof value === 'string' && !DECIMAL_INTEGER.test(value)) {
        throw Object.assign(new Error(`querystring/${name} must be integer`), {
          statusCode: 400,
          validationContext: 'querystring',
          validation: [{ keyword: 'type', instancePath: `/${name}`, schemaPath: '', params: { type: 'integer' }, message: 'must be integer' }],
        });
      }
    }
    return Promise.resolve();
  });
}
