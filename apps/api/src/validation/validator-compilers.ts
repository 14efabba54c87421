// Request validation with two Ajv instances from Fastify's own compiler: query strings and path
// parameters arrive as text, so they are coerced to the schema's types ("5" -> 5); JSON bodies
// already carry types, so they are not: `{"text": 5}` or `{"enabled": "false"}` is refused,
// naming the field, instead of being quietly turned into "5" or false.
import { AjvCompiler } from '@fastify/ajv-compiler';
import type { FastifyServerOptions } from 'fastify';

type BuildValidator = NonNullable<NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>['buildValidator']>;
interface CompilerOptions {
  readonly customOptions?: Record<string, unknown>;
}
// The package's types describe the compiler's function as Ajv's `compile`; at run time Fastify
// calls it with the route definition (schema, method, url, httpPart), as typed here.
type Compile = (route: { readonly httpPart?: string }) => unknown;
const fromPool = AjvCompiler() as unknown as (externalSchemas: unknown, options: CompilerOptions) => Compile;

export const buildValidator = ((externalSchemas: unknown, options: CompilerOptions): Compile => {
  const coercing = fromPool(externalSchemas, options);
  const strict = fromPool(externalSchemas, { ...options, customOptions: { ...options.customOptions, coerceTypes: false } });
  return (route) => (route.httpPart === 'body' ? strict(route) : coercing(route));
}) as unknown as BuildValidator;
