import { registerConstraints } from './errors.js';

const CERTIFICATION_TYPE_NOT_FOUND = 'certification_type_id names no certification type of this organization';
const SKILL_TYPE_NOT_FOUND = 'skill_type_id names no skill type of this organization';

// The amss_check_type_visible trigger refuses a row naming another organization's type (23503):
// it reads to the client exactly as a type that does not exist, naming the field.
registerConstraints({
  employee_certifications_certification_type_id_visible: {
    kind: 'validation',
    reason: 'REFERENCE_NOT_FOUND',
    message: CERTIFICATION_TYPE_NOT_FOUND,
    field: 'body.certification_type_id',
  },
  task_skill_requirements_certification_type_id_visible: {
    kind: 'validation',
    reason: 'REFERENCE_NOT_FOUND',
    message: CERTIFICATION_TYPE_NOT_FOUND,
    field: 'body.certification_type_id',
  },
  employee_skills_skill_type_id_visible: {
    kind: 'validation',
    reason: 'REFERENCE_NOT_FOUND',
    message: SKILL_TYPE_NOT_FOUND,
    field: 'body.skill_type_id',
  },
  task_skill_requirements_skill_type_id_visible: {
    kind: 'validation',
    reason: 'REFERENCE_NOT_FOUND',
    message: SKILL_TYPE_NOT_FOUND,
    field: 'body.skill_type_id',
  },
});
