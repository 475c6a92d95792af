import { deserialize, serialize } from 'node:v8';
import { MaintenanceTask } from '../../domain/task.js';

/**
 * The classes whose instances a mutation may return. node:v8 keeps Dates, Maps, Sets and binary
 * data but turns any other object into a plain one, which would lose the methods a route (or the
 * next step of a use case) calls on a recovered result; these come back as instances.
 */
const CLASSES: Record<string, { prototype: object }> = { MaintenanceTask };
const CLASS_TAG = '__amssRecordedClass';

/** Serializes a mutation's result for `idempotency_mutations.result`. */
export function encodeRecordedResult(result: unknown): Buffer {
  return serialize(tagClasses(result));
}

/** The result `encodeRecordedResult` stored, with its class instances restored. */
export function decodeRecordedResult(bytes: Uint8Array): unknown {
  return untagClasses(deserialize(bytes));
}

const keptAsIs = (value: object): boolean =>
  value instanceof Date || value instanceof Map || value instanceof Set || ArrayBuffer.isView(value);

function tagClasses(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || keptAsIs(value)) return value;
  if (Array.isArray(value)) return value.map(tagClasses);
  const fields = Object.fromEntries(Object.entries(value).map(([name, field]) => [name, tagClasses(field)]));
  const prototype = Object.getPrototypeOf(value) as object | null;
  if (prototype === Object.prototype || prototype === null) return fields;
  const name = Object.keys(CLASSES).find((candidate) => CLASSES[candidate]!.prototype === prototype);
  if (name === undefined) {
    const className = (prototype as { constructor?: { name?: string } }).constructor?.name ?? 'class';
    throw new Error(`cannot record a mutation result holding a ${className}: add it to CLASSES`);
  }
  return { [CLASS_TAG]: name, fields };
}

function untagClasses(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || keptAsIs(value)) return value;
  if (Array.isArray(value)) return value.map(untagClasses);
  const record = value as Record<string, unknown>;
  const className = record[CLASS_TAG];
  if (typeof className === 'string' && CLASSES[className]) {
    return Object.assign(Object.create(CLASSES[className].prototype) as object, untagClasses(record.fields));
  }
  return Object.fromEntries(Object.entries(record).map(([name, field]) => [name, untagClasses(field)]));
}
