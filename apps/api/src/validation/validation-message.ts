// Turns a schema validation failure into one sentence that names the parameter and what it
// accepts ("limit must be an integer from 1 to 100 (got "abc")"). The sentence is derived from
// the route's own schema, so the documented range and the message can never disagree.
import type { FastifySchemaValidationError } from 'fastify/types/schema.js';

interface ParamSchema {
  type?: string | string[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  format?: string;
  pattern?: string;
  enum?: unknown[];
  anyOf?: Array<{ const?: unknown }>;
  description?: string;
}

interface ObjectSchema {
  properties?: Record<string, ParamSchema>;
}

/** What a parameter accepts, as a phrase: "an integer from 1 to 100". */
export function describeParam(schema: ParamSchema): string {
  const choices = schema.enum ?? schema.anyOf?.map((option) => option.const).filter((c) => c !== undefined);
  if (choices !== undefined && choices.length > 0) return `one of ${choices.map(String).join(', ')}`;
  if (schema.type === 'integer' || schema.type === 'number') {
    const noun = schema.type === 'integer' ? 'an integer' : 'a number';
    if (schema.minimum !== undefined && schema.maximum !== undefined) {
      return `${noun} from ${schema.minimum} to ${schema.maximum}`;
    }
    if (schema.minimum !== undefined) return `${noun} of at least ${schema.minimum}`;
    if (schema.maximum !== undefined) return `${noun} of at most ${schema.maximum}`;
    return noun;
  }
  if (schema.type === 'boolean') return 'true or false';
  if (schema.format === 'date-time') return 'an ISO 8601 date-time such as 2024-01-31T00:00:00Z';
  // A pattern is not a phrase: such parameters say what they accept in their description.
  if (schema.pattern !== undefined && schema.description !== undefined) return schema.description;
  if (schema.type === 'string') {
    if (schema.minLength !== undefined && schema.maxLength !== undefined) {
      return `text of ${schema.minLength} to ${schema.maxLength} characters`;
    }
    if (schema.maxLength !== undefined) return `text of at most ${schema.maxLength} characters`;
    return 'text';
  }
  return 'a valid value';
}

function shown(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

/**
 * One message for the first validation error of a request part. `schema` is the route's
 * schema for that part (querystring, params); `input` is what the client sent.
 */
export function validationMessage(
  errors: readonly FastifySchemaValidationError[],
  schema: ObjectSchema | undefined,
  input: Record<string, unknown> | undefined,
  part: string,
): string {
  const error = errors[0];
  if (error === undefined) return `invalid ${part}`;
  const allowed = Object.keys(schema?.properties ?? {});
  const params = error.params;
  if (error.keyword === 'minProperties') return `${part} must set at least one of: ${allowed.join(', ')}`;
  if (error.keyword === 'additionalProperties') {
    const name = String(params.additionalProperty);
    return `unknown ${part === 'body' ? 'field' : 'parameter'} ${name}${allowed.length > 0 ? `; allowed: ${allowed.join(', ')}` : ''}`;
  }
  const name =
    error.keyword === 'required'
      ? String(params.missingProperty)
      : (error.instancePath.split('/')[1] ?? '').replace(/~1/g, '/').replace(/~0/g, '~');
  const paramSchema = schema?.properties?.[name];
  if (name === '' || paramSchema === undefined) return `invalid ${part}: ${error.message ?? 'bad value'}`;
  const accepts = describeParam(paramSchema);
  if (error.keyword === 'required') return `${name} is required and must be ${accepts}`;
  const got = input?.[name];
  if (Array.isArray(got)) return `${name} must be given once, as ${accepts}`;
  // What was sent is echoed to help, except for fields that may hold a secret.
  const echo = got !== undefined && !/key|password|secret|token/i.test(name);
  return `${name} must be ${accepts}${echo ? ` (got "${shown(got)}")` : ''}`;
}
