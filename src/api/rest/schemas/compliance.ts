import { Type } from 'typebox';
import { timestampField, uuidField } from './common.js';

/** What an item shows of its signatures and independent inspection (also in the task detail). */
export const complianceSignatureFields = {
  sign_off_meaning: Type.Union([Type.Literal('performed'), Type.Null()], {
    description:
      'What the sign-off signature means: `performed` (the signer did the work), or null before sign-off.',
  }),
  requires_inspection: Type.Boolean({
    description:
      'Whether a second person must independently inspect the work after the sign-off (`POST /compliance-items/{id}/inspect`); its task cannot complete until then.',
  }),
  inspection_pending: Type.Boolean({
    description:
      'Derived: the item requires an inspection and has not been inspected yet (signed off or not).',
  }),
  inspected_by: Type.Union([uuidField('The independent inspector.'), Type.Null()], {
    description: 'The independent inspector (never the signer), or null until inspected.',
  }),
  inspected_at: Type.Union([timestampField('When the item was inspected.'), Type.Null()], {
    description: 'When the item was inspected (RFC 3339, UTC), or null until then.',
  }),
  inspection_meaning: Type.Union([Type.Literal('inspected'), Type.Null()], {
    description: 'What the inspection signature means: `inspected`, or null until inspected.',
  }),
};
