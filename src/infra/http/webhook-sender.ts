import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import { Agent, request, type Dispatcher } from 'undici';
import type { WebhookRequest, WebhookSender } from '../../app/webhook-deliveries.js';
import { addressRefusal, type AttemptResult } from '../../domain/webhook.js';

export interface UndiciWebhookSenderOptions {
  /** One attempt (connect, answer and body) may take this long. */
  timeoutMs?: number;
  /**
   * Production rules at send time: connect only to public addresses, checking literal IPs and
   * every address a host name resolves to when the connection is made (DNS rebinding).
   */
  publicAddressesOnly?: boolean;
}

/** At most this much of a response body is read (and stored, as text). */
const MAX_BODY_BYTES = 4096;
const USER_AGENT = 'AMSS-Webhooks/1';

/** Webhook requests over undici: one pooled agent, a timeout per attempt, no redirects followed. */
export class UndiciWebhookSender implements WebhookSender {
  readonly timeoutMs: number;
  private readonly publicOnly: boolean;
  private readonly agent: Agent;
  private closed = false;

  constructor(options: UndiciWebhookSenderOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.publicOnly = options.publicAddressesOnly ?? false;
    this.agent = new Agent({
      connect: { timeout: this.timeoutMs, ...(this.publicOnly ? { lookup: publicOnlyLookup } : {}) },
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
    });
  }

  async send(webhookRequest: WebhookRequest): Promise<AttemptResult> {
    if (this.publicOnly) {
      // A literal address never reaches the lookup below, so it is checked here.
      const host = new URL(webhookRequest.url).hostname.replace(/^\[(.*)\]$/, '$1');
      const refusal = isIP(host) === 0 ? undefined : addressRefusal(host);
      if (refusal) {
        return { kind: 'error', error: `refused to connect: the URL targets ${refusal}` };
      }
    }
    try {
      const response = await request(webhookRequest.url, {
        method: 'POST',
        headers: { ...webhookRequest.headers, 'user-agent': USER_AGENT },
        body: webhookRequest.body,
        dispatcher: this.agent,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      const retryAfter = response.headers['retry-after'];
      return {
        kind: 'response',
        statusCode: response.statusCode,
        body: await readCapped(response.body),
        retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter,
      };
    } catch (error) {
      return { kind: 'error', error: describeError(error, this.timeoutMs) };
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.agent.close();
  }
}

/**
 * `lookup` for connections under the production rules: resolves as usual, then refuses the
 * connection if any address is not public, so a name that resolved to a public address when
 * the webhook was created cannot be pointed at an internal one later.
 */
function publicOnlyLookup(
  hostname: string,
  options: LookupOptions,
  callback: (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
): void {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, []);
    const refusal = addresses.map((entry) => addressRefusal(entry.address)).find(Boolean);
    if (refusal || addresses.length === 0) {
      const refused = new Error(`refused to connect: ${hostname} resolves to ${refusal ?? 'no address'}`);
      return callback(refused, []);
    }
    if (options.all) return callback(null, addresses);
    return callback(null, addresses[0]!.address, addresses[0]!.family);
  });
}

/** The first MAX_BODY_BYTES of a response body as text; the rest is never read. */
async function readCapped(body: Dispatcher.ResponseData['body']): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
      chunks.push(buffer);
      size += buffer.length;
      if (size >= MAX_BODY_BYTES) break;
    }
  } catch {
    // A body cut short still leaves its status code to judge the attempt by.
  } finally {
    if (!body.destroyed) body.destroy();
  }
  return Buffer.concat(chunks).subarray(0, MAX_BODY_BYTES).toString('utf8');
}

function describeError(error: unknown, timeoutMs: number): string {
  const err = error as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
  if (err.name === 'TimeoutError' || err.name === 'AbortError' || /timeout/i.test(err.code ?? '')) {
    return `no answer within ${timeoutMs} ms (timeout)`;
  }
  const cause = err.cause && err.cause !== err ? err.cause : undefined;
  const message = cause?.message ?? err.message ?? String(error);
  const code = cause?.code ?? err.code;
  return (code && !message.includes(code) ? `${code}: ${message}` : message).slice(0, 1000);
}
