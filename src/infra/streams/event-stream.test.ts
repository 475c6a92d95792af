import { describe, expect, it } from 'vitest';
import type { ClaimedEvent } from '../../app/outbox.js';
import type { StreamMessage } from './consumer.js';
import { compareStreamIds, InProcessEventStream } from './event-stream.js';

const event = (n: number): ClaimedEvent => ({
  id: `event-${n}`,
  orgId: 'org-1',
  eventType: 'task_created',
  dedupeKey: `task_created:org-1:${n}`,
  payload: JSON.stringify({ n }),
  attemptCount: 0,
  createdAt: new Date(),
});

describe('the in-process event stream of amss dev', () => {
  it('gives entries increasing Redis-style ids and the fields a Redis consumer reads', async () => {
    const stream = new InProcessEventStream();
    await stream.publish([event(1), event(2), event(3)]);
    const { messages } = stream.after('0-0');
    expect(messages.map((m) => m.fields.event_id)).toEqual(['event-1', 'event-2', 'event-3']);
    expect(messages[0]!.fields).toMatchObject({
      org_id: 'org-1',
      event_type: 'task_created',
      payload: '{"n":1}',
    });
    const ids = messages.map((m) => m.id);
    expect([...ids].sort(compareStreamIds)).toEqual(ids);
    expect(new Set(ids).size).toBe(3);
    expect(stream.lastId()).toBe(ids[2]);
  });

  it('tells subscribers of each new entry, and a reader what followed the last id it saw', async () => {
    const stream = new InProcessEventStream();
    const seen: StreamMessage[] = [];
    const unsubscribe = stream.subscribe((messages) => seen.push(...messages));
    await stream.publish([event(1)]);
    const lastSeen = seen[0]!.id;
    unsubscribe();
    await stream.publish([event(2), event(3)]);
    expect(seen).toHaveLength(1);
    expect(stream.after(lastSeen)).toMatchObject({
      trimmed: false,
      messages: [{ fields: { event_id: 'event-2' } }, { fields: { event_id: 'event-3' } }],
    });
  });

  it('says a reader missed entries when they were dropped for capacity', async () => {
    const stream = new InProcessEventStream(2);
    await stream.publish([event(1)]);
    const first = stream.lastId();
    await stream.publish([event(2)]);
    const second = stream.lastId();
    await stream.publish([event(3)]);
    expect(stream.after(first).trimmed).toBe(false);
    expect(stream.after('0-0').trimmed).toBe(true);
    expect(stream.after(second)).toMatchObject({
      trimmed: false,
      messages: [{ fields: { event_id: 'event-3' } }],
    });
  });

  it('keeps dead letters in their own stream', async () => {
    const stream = new InProcessEventStream();
    const letters: StreamMessage[] = [];
    stream.subscribe((messages) => letters.push(...messages), 'dlq');
    await stream.deadLetter([
      { kind: 'webhook_delivery', id: 'd-1', orgId: 'org-1', eventType: 'task_created', error: 'HTTP 500' },
    ]);
    expect(letters).toMatchObject([{ fields: { kind: 'webhook_delivery', id: 'd-1', error: 'HTTP 500' } }]);
    expect(stream.after('0-0').messages).toEqual([]);
  });
});
