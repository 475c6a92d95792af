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

describe('compliance item rights', () => {
  const roles = (action: Parameters<typeof allowedRoles<'compliance_items'>>[1]) =>
    [...allowedRoles('compliance_items', action)].sort();

  it('the PATCH is open to exactly who may edit the record or raise the inspection requirement', () => {
    const union = new Set([...roles('record'), ...roles('require_inspection')]);
    expect(roles('update')).toEqual([...union].sort());
  });

  it('everyone who may create or change an item may raise its inspection requirement', () => {
    for (const role of [...roles('create'), ...roles('update')])
      expect(roles('require_inspection')).toContain(role);
  });

  it('no one who signs off work may waive its independent inspection', () => {
    for (const role of roles('sign_off')) expect(roles('waive_inspection')).not.toContain(role);
    for (const role of roles('inspect')) expect(roles('waive_inspection')).not.toContain(role);
  });

  it('whoever may waive an inspection may also raise one', () => {
    for (const role of roles('waive_inspection')) expect(roles('require_inspection')).toContain(role);
  });
});
