/** The graceful stop every long-running command shares, the supervisor of server processes included. */
import closeWithGrace from 'close-with-grace';
import type { Logger } from '../observability/logger.js';

/** Closes everything on SIGTERM/SIGINT: stop accepting, finish what runs, then disconnect. */
export function onShutdown(logger: Logger, close: () => Promise<void>): void {
  closeWithGrace(
    { delay: 15_000, logger: { error: (msg: unknown) => logger.error(msg) } },
    async ({ signal, err }) => {
      if (err) logger.error({ err }, 'shutting down after an unexpected error');
      else logger.info({ signal }, 'shutting down');
      await close();
    },
  );
}
