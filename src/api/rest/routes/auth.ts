// Placeholder: being written.
import type { FastifyInstance } from 'fastify';
import type { Services } from '../../../app/services.js';

export const authRoutes =
  (_services: Services) =>
  async (_app: FastifyInstance): Promise<void> =>
    undefined;
