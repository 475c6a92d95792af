import { describe, expect, it } from 'vitest';
import { IMPORT_TYPES } from './import.js';
import { IMPORT_TARGETS, allowedRoles, importAction } from './rbac.js';
import { ROLES } from './roles.js';

describe('import rights', () => {
  it.each(IMPORT_TYPES)('a %s import is open to exactly who may create and update its rows', (type) => {
    const target = IMPORT_TARGETS[type];
    const writers = ROLES.filter(
      (role) =>
        allowedRoles(target, 'create').includes(role) && allowedRoles(target, 'update').includes(role),
    );
    expect([...allowedRoles('imports', importAction(type))].sort()).toEqual(writers.sort());
  });

  it('uploading at all is open to exactly the union of the per-type rights', () => {
    const union = new Set(IMPORT_TYPES.flatMap((type) => allowedRoles('imports', importAction(type))));
    expect([...allowedRoles('imports', 'create')].sort()).toEqual([...union].sort());
  });

  it('everyone who may import may read imports', () => {
    for (const role of allowedRoles('imports', 'create'))
      expect(allowedRoles('imports', 'read')).toContain(role);
  });
});
