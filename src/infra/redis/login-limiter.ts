// Placeholder: being written.
import type { Redis } from 'ioredis';
import type { LoginLimiter } from '../../app/login-limiter.js';

export function createLoginLimiter(_options: {
  redis: Redis | undefined;
  keyPrefix: string;
  maxFailuresPerIp: number;
  maxFailuresPerEmail: number;
  windowMs: number;
}): LoginLimiter {
  return {
    check: async () => undefined,
    recordFailure: async () => undefined,
    recordSuccess: async () => undefined,
  };
}
