import { describe, expect, it } from 'vitest';
import { MaintenanceTask } from '../../domain/task.js';
import { decodeRecordedResult, encodeRecordedResult } from './recorded-result.js';

const task = new MaintenanceTask({
  id: '6f1c1b8e-4a53-4c1e-9d0e-1a2b3c4d5e6f',
  orgId: '0b0c1d2e-3f40-4152-8637-48495a6b7c8d',
  aircraftId: '1a2b3c4d-5e6f-4a1b-8c2d-3e4f5a6b7c8d',
  programId: null,
  type: 'inspection',
  state: 'completed',
  startTime: new Date('2030-01-01T08:00:00Z'),
  endTime: new Date('2030-01-01T10:00:00Z'),
  assignedMechanicId: null,
  notes: 'done',
  version: 3,
  requiredParts: [{ partDefinitionId: '2b3c4d5e-6f7a-4b1c-8d2e-3f4a5b6c7d8e', quantity: 2 }],
  createdAt: new Date('2029-12-01T00:00:00Z'),
  updatedAt: new Date('2030-01-01T10:00:00Z'),
});

describe('recorded mutation results', () => {
  it('come back with their Dates and as instances of the domain classes they were', () => {
    const recovered = decodeRecordedResult(encodeRecordedResult({ task, tasks: [task], count: 1 })) as {
      task: MaintenanceTask;
      tasks: MaintenanceTask[];
    };
    expect(recovered.task).toBeInstanceOf(MaintenanceTask);
    expect(recovered.task.isFinal).toBe(true);
    expect(recovered.tasks[0]!.startTime).toEqual(task.startTime);
    expect(recovered).toEqual({ task, tasks: [task], count: 1 });
  });

  it('refuse an instance of a class they cannot restore, rather than losing its methods', () => {
    class Unknown {
      value = 1;
    }
    expect(() => encodeRecordedResult({ nested: new Unknown() })).toThrow(/Unknown: add it to CLASSES/);
  });
});
