import { describe, expect, it } from 'vitest';
import {
  combinedOutcome,
  describeHeaderProblems,
  headerIsValid,
  headerProblems,
  importProgress,
  rowCells,
  rowRuleProblems,
} from './import.js';

const AIRCRAFT = { required: ['tail_number', 'model'], optional: ['status', 'capacity_slots'] };
const NOW = new Date('2026-06-01T12:00:00Z');

describe('header rows', () => {
  it('accepts the required columns in any order, with optional ones and surrounding spaces', () => {
    expect(headerIsValid(headerProblems([' model', 'status ', 'tail_number'], AIRCRAFT))).toBe(true);
  });

  it('names missing, unknown, blank and duplicate columns', () => {
    const problems = headerProblems(['tail_number', 'tail_number', 'colour', ''], AIRCRAFT);
    expect(problems).toEqual({
      missing: ['model'],
      unknown: ['colour', '(blank)'],
      duplicate: ['tail_number'],
    });
    expect(describeHeaderProblems(problems, AIRCRAFT)).toBe(
      'the header row is wrong: missing column(s): model; unknown column(s): colour, (blank); duplicate column(s): tail_number (expected: tail_number, model, status?, capacity_slots?)',
    );
  });
});

describe('row cells', () => {
  it('maps cells to the header columns', () => {
    expect(rowCells(['tail_number', ' model'], ['N1', 'A320'])).toEqual({
      raw: { tail_number: 'N1', model: 'A320' },
    });
  });

  it('keeps every cell of a row with the wrong number of fields and says so', () => {
    expect(rowCells(['a', 'b'], ['1', '2', '3'])).toEqual({
      raw: { a: '1', b: '2', _extra_1: '3' },
      problem: 'the row has 3 field(s) but the header has 2',
    });
    expect(rowCells(['a', 'b'], ['1']).raw).toEqual({ a: '1', b: '' });
  });
});

describe('row rules', () => {
  it('applies the aircraft rule that next_due follows last_maintenance', () => {
    const row = {
      tail_number: 'N1',
      model: 'A320',
      last_maintenance: '2026-05-01T00:00:00Z',
      next_due: '2026-04-01T00:00:00Z',
    };
    expect(rowRuleProblems('aircraft', row, NOW)).toEqual([
      'next_due: next_due (2026-04-01T00:00:00.000Z) must be after last_maintenance (2026-05-01T00:00:00.000Z)',
    ]);
  });

  it('applies the program rules: no blank name, no performance in the future', () => {
    const row = {
      name: '  ',
      interval_type: 'calendar',
      interval_value: 5,
      last_performed: '2026-07-01T00:00:00Z',
    };
    expect(rowRuleProblems('programs', row, NOW)).toEqual([
      'name: must not be blank',
      'last_performed: must not be in the future',
    ]);
  });

  it('refuses an expired part and item fields without a serial number', () => {
    expect(
      rowRuleProblems(
        'parts',
        { name: 'Pump', category: 'hyd', serial_number: 'S1', expiry_date: '2026-06-01T12:00:00Z' },
        NOW,
      ),
    ).toEqual(['expiry_date: must be in the future']);
    expect(rowRuleProblems('parts', { name: 'Pump', category: 'hyd', status: 'used' }, NOW)).toEqual([
      'status: needs a serial_number (it describes a part item)',
    ]);
    expect(rowRuleProblems('parts', { name: 'Pump', category: 'hyd' }, NOW)).toEqual([]);
  });
});

describe('outcomes and progress', () => {
  it('reports the strongest outcome of a row that touched several entities', () => {
    expect(combinedOutcome(['unchanged', 'created'])).toBe('created');
    expect(combinedOutcome(['unchanged', 'updated'])).toBe('updated');
    expect(combinedOutcome(['unchanged'])).toBe('unchanged');
  });

  it('counts staged rows while validating and settled rows while applying', () => {
    const counts = { total: 10, valid: 8, invalid: 2, applied: 3 };
    expect(importProgress({ status: 'validating', counts })).toEqual({
      phase: 'validating',
      rowsProcessed: 10,
      rowsTotal: null,
      percent: null,
    });
    expect(importProgress({ status: 'applying', counts })).toEqual({
      phase: 'applying',
      rowsProcessed: 5,
      rowsTotal: 10,
      percent: 50,
    });
    expect(
      importProgress({ status: 'completed', counts: { total: 0, valid: 0, invalid: 0, applied: 0 } }).percent,
    ).toBe(100);
  });
});
