/**
 * The type-visible trigger's refusal of a task skill requirement has one meaning, registered once
 * (with the reference data, like the people tables'), whichever repository module loads last.
 */
import { describe, expect, it } from 'vitest';
import { translateDatabaseError } from '../../src/infra/postgres/errors.js';
import '../../src/infra/postgres/reference-data.js';
// Loaded after the reference data: it must not register the requirement's trigger refusals again.
import '../../src/infra/postgres/qualifications.js';

/** The error the amss_check_type_visible trigger raises for a row naming another org's type. */
const triggerRefusal = (constraint: string) => ({
  code: '23503',
  constraint,
  message: 'certification_types … belongs to another organization',
});

describe('a row naming another organization’s type', () => {
  it.each([
    [
      'task_skill_requirements_certification_type_id_visible',
      'employee_certifications_certification_type_id_visible',
    ],
    ['task_skill_requirements_skill_type_id_visible', 'employee_skills_skill_type_id_visible'],
  ])(
    'a requirement’s refusal (%s) reads as the people record’s: 400 REFERENCE_NOT_FOUND naming the field',
    (requirement, record) => {
      const translated = translateDatabaseError(triggerRefusal(requirement));
      expect(translated).toMatchObject({ kind: 'validation', reason: 'REFERENCE_NOT_FOUND' });
      expect(translated).toMatchObject({
        details: (translateDatabaseError(triggerRefusal(record)) as { details: unknown }).details,
      });
    },
  );
});
