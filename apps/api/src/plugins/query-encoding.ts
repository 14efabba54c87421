// A query string must be valid percent-encoded UTF-8. Fastify's parser keeps a malformed escape
// (`%`, `%ZZ`, a cut-off `%E0%A4%A`, an encoded lone surrogate `%ED%A0%80`) as literal text, so
// `q=%E0%A4%A` would quietly search for "e0 a4 a". Such requests answer 400 instead. Cheap on
// the hot path: a query without `%` (page 1 of /getData) is not decoded here at all.
import type { FastifyInstance } from 'fastify';

export const BAD_QUERY_ENCODING = 'The query string is not valid percent-encoded UTF-8.';

function wellFormed(query: string): boolean {
  try {
    decodeURIComponent(query);
    return true;
  } catch {
    return false;
  }
}

export function registerQueryEncodingCheck(app: FastifyInstance): void {
  app.addHook('onRequest', (request, _reply, done) => {
    const url = request.url;
    const at = url.indexOf('?');
    if (at < 0 || url.indexOf('%', at) < 0 || wellFormed(url.slice(at + 1))) {
      done();
      return;
    }
    done(Object.assign(new Error(BAD_QUERY_ENCODING), { statusCode: 400 }));
  });
}
