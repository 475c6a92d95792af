import { Type } from 'typebox';
import { uuidField } from './common.js';

/**
 * An aircraft type as the API shows it: its own endpoints and every record that names one (type
 * ratings, recency entries) show this one shape.
 */
export const AircraftType = Type.Object(
  {
    id: uuidField('Aircraft type id.'),
    designator: Type.String({ description: 'ICAO Doc 8643 type designator, e.g. A320 or B38M.' }),
    manufacturer: Type.String({ description: 'Manufacturer, e.g. Airbus.' }),
    model: Type.String({ description: 'Model, e.g. A320neo.' }),
  },
  {
    additionalProperties: false,
    description: 'An ICAO aircraft type: global reference data, seeded with AMSS.',
    examples: [
      {
        id: '5b0e8f2a-1c3d-4e5f-8a9b-0c1d2e3f4a5b',
        designator: 'A20N',
        manufacturer: 'Airbus',
        model: 'A320neo',
      },
    ],
  },
);
