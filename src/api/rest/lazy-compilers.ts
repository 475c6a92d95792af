import { SerializerSelector, type SerializerFactory } from '@fastify/fast-json-stringify-compiler';
import { TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';

/**
 * Route schemas compiled on the route's first request instead of while the server starts.
 *
 * Fastify compiles every route's validators (one per input: body, query, params) and serializers (one per
 * answer) when it starts. There are over a hundred routes, and fast-json-stringify builds an Ajv instance for
 * every answer with a nullable field: compiling them all took most of building the server (on two cores,
 * `npm run bench:start`: 2.0–2.7 s before, 0.3–0.5 s after), mostly for routes a given process may never serve.
 * Compiled on first use, each costs its first request a few milliseconds, once. A schema that cannot compile
 * now fails that request rather than the start: test/api/route-schemas.test.ts compiles every one eagerly.
 */
export function compiledOnFirstUse<Args extends unknown[], Result>(
  compile: () => (...args: Args) => Result,
): (...args: Args) => Result {
  let compiled: ((...args: Args) => Result) | undefined;
  return (...args) => (compiled ??= compile())(...args);
}

/** TypeBox's validator compiler, compiling each schema on its first use. */
export const lazyTypeBoxValidatorCompiler: typeof TypeBoxValidatorCompiler = (route) =>
  compiledOnFirstUse(() => TypeBoxValidatorCompiler(route));

/**
 * Fastify's own serializer factory (fast-json-stringify, with the shared schemas `addSchema` registered),
 * compiling each answer's serializer on its first use. For the `schemaController.compilersFactory` option.
 */
export const lazySerializerFactory: SerializerFactory = (externalSchemas, options) => {
  const compile = SerializerSelector()(externalSchemas, options);
  return (route) => compiledOnFirstUse(() => compile(route));
};
