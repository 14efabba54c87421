// The one place errors become responses. Every error body has the same shape,
// {"isError": true, "message": "..."}; a 5xx never carries internals, stack traces or secrets.
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyBaseLogger, FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Static } from 'typebox';
import {
  BusyError,
  ConflictError,
  DependencyUnavailableError,
  InvalidRequestError,
  NotFoundError,
  UpstreamError,
  isMysqlUnavailable,
} from '@tubefeed/core';
import { validationMessage } from '../validation/validation-message.js';
import type { ErrorBody as ErrorBodySchema } from '../schemas/common.js';

/** The shape of the shared `ErrorBody` schema every route declares for its errors. */
export type ErrorBody = Static<typeof ErrorBodySchema>;

function send(reply: FastifyReply, status: number, message: string): FastifyReply {
  return reply.code(status).type('application/json; charset=utf-8').send({ isError: true, message } satisfies ErrorBody);
}

function isRedisUnavailable(error: unknown): boolean {
  const message = error instanceof Error ? error.message : '';
  return /Stream isn't writeable|enableOfflineQueue|Connection is closed|ECONNREFUSED.*6379|Command timed out/.test(message);
}

/**
 * Fastify's `frameworkErrors`: what the router refuses before any route runs (a path that is
 * not valid percent-encoded UTF-8, such as `/%` or `/videos%E0`).
 */
export function frameworkErrors(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const status = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 400;
  void send(reply, status, error.code === 'FST_ERR_BAD_URL' ? 'The URL path is not valid percent-encoded UTF-8.' : error.message);
}

/**
 * Fastify's `clientErrorHandler`: a request Node's HTTP parser refuses (bytes not allowed in a
 * request line, a malformed header, headers too large). No request object exists yet, so the
 * answer is written to the socket directly, still in the error shape.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, message] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'The request took too long to arrive.']
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'The request headers are too large.']
        : [400, 'The request is not valid HTTP.'];
  const body = JSON.stringify({ isError: true, message } satisfies ErrorBody);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Content-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

/** What an error means for the client: a status, the message, whether to say "retry in 5 s". */
export interface ErrorAnswer {
  readonly status: number;
  readonly message: string;
  readonly retryAfter: boolean;
}

const UNAVAILABLE: ErrorAnswer = { status: 503, message: 'The service is temporarily unavailable; try again shortly.', retryAfter: true };

/**
 * Any error but a schema validation failure as an answer. Core's typed errors map to their
 * statuses; MySQL or Redis out of reach is a 503; Fastify's own client errors (a body that does
 * not parse, too large, an unsupported content type) keep their 4xx and message; anything else
 * is a 500 whose message says nothing of the cause (logged by the caller).
 */
export function errorAnswer(error: FastifyError | Error, log: FastifyBaseLogger): ErrorAnswer {
  const answer = (status: number, message: string): ErrorAnswer => ({ status, message, retryAfter: false });
  if (error instanceof InvalidRequestError) return answer(400, error.message);
  if (error instanceof NotFoundError) return answer(404, error.message);
  if (error instanceof ConflictError) return answer(409, error.message);
  if (error instanceof UpstreamError) return answer(error.kind === 'refused' ? 422 : 503, error.message);
  if (error instanceof BusyError) return { status: 503, message: error.message, retryAfter: true };
  const code = 'code' in error ? error.code : undefined;
  if (error instanceof DependencyUnavailableError || isMysqlUnavailable(error)) {
    log.warn({ err: { message: error.message, code } }, 'dependency unavailable');
    return UNAVAILABLE;
  }
  if (isRedisUnavailable(error)) {
    log.warn({ err: { message: error.message } }, 'redis unavailable');
    return UNAVAILABLE;
  }
  const status = 'statusCode' in error && typeof error.statusCode === 'number' ? error.statusCode : 500;
  // Fastify's own client errors (bad JSON body, payload too large, ...): their messages describe
  // the request, not the server.
  if (status >= 400 && status < 500) return answer(status, error.message);
  log.error({ err: error }, 'unhandled error');
  return answer(500, 'Internal server error');
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (error.validation !== undefined) {
      const part = error.validationContext ?? 'querystring';
      const schemas = request.routeOptions.schema as Record<string, unknown> | undefined;
      const input = (part === 'params' ? request.params : part === 'body' ? request.body : request.query) as
        | Record<string, unknown>
        | undefined;
      return send(reply, 400, validationMessage(error.validation, schemas?.[part] as never, input, part));
    }
    const { status, message, retryAfter } = errorAnswer(error, request.log);
    return send(retryAfter ? reply.header('retry-after', '5') : reply, status, message);
  });

  app.setNotFoundHandler((request, reply) =>
    send(reply, 404, `Route ${request.method} ${request.url.split('?')[0] ?? ''} not found`),
  );
}
