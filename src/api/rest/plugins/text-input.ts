import type { FastifyInstance } from 'fastify';
import { nulCharacterError, nulCharacterProblems } from '../../../app/text-input.js';

/**
 * Refuses a NUL character (U+0000) in the path parameters, the query string or the JSON body of
 * every route with 400 NUL_CHARACTER naming each field, before schema validation and before any
 * handler: PostgreSQL cannot store one, and no route has to remember to check. (Headers are
 * refused by Node's HTTP parser; multipart uploads check their own fields.)
 */
export function registerTextInputGuard(app: FastifyInstance): void {
  app.addHook('preValidation', (request, _reply, done) => {
    const error = nulCharacterError([
      ...nulCharacterProblems(request.params, 'params'),
      ...nulCharacterProblems(request.query, 'querystring'),
      ...nulCharacterProblems(request.body, 'body'),
    ]);
    done(error);
  });
}
