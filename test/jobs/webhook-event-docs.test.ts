import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../src/domain/events.js';

/**
 * The event types docs/webhooks.md names: every `code` span of lower-case words, with
 * `user_created|updated|deleted` read as user_created, user_updated and user_deleted.
 */
function documentedEventTypes(markdown: string): Set<string> {
  const names = new Set<string>();
  for (const [, span] of markdown.matchAll(/`([a-z_]+(?:\|[a-z_]+)*)`/g)) {
    const [first, ...others] = span!.split('|');
    names.add(first!);
    const stem = first!.slice(0, first!.lastIndexOf('_') + 1);
    for (const other of others) names.add(stem + other);
  }
  return names;
}

describe('docs/webhooks.md', () => {
  it('names every event type a webhook can receive', () => {
    const documented = documentedEventTypes(readFileSync('docs/webhooks.md', 'utf8'));
    expect(EVENT_TYPES.filter((type) => !documented.has(type))).toEqual([]);
  });
});
