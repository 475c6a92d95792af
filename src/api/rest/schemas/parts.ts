import { Type } from 'typebox';
import { CursorQuery } from '../pagination.js';
import { DEFINITION_SORT_FIELDS, ITEM_SORT_FIELDS, RESERVATION_SORT_FIELDS } from '../../../app/parts.js';
import { PART_ITEM_STATUSES, RESERVATION_STATES, RESERVATION_TARGETS } from '../../../domain/part.js';
import { OrgScopeQuery, PageQuery, sortQuery, timestampField, uuidField } from './common.js';

/** `?org_id=`: the only way an admin acts in another organization; anyone else naming one gets 403. */
export const ScopeQuery = Type.Object(OrgScopeQuery, { additionalProperties: false });

const ItemStatus = Type.Enum(PART_ITEM_STATUSES, {
  description: 'in_stock (on the shelf), used (fitted; final) or disposed (thrown away; final).',
});

const ReservationState = Type.Enum(RESERVATION_STATES, {
  description: 'reserved (held for the task), used (fitted; final) or released (given back; final).',
});

const StockSetting = (description: string) => Type.Integer({ minimum: 0, maximum: 1_000_000, description });

/** A stock setting in a response: a whole number, or null when not set. */
const OptionalStockSetting = (description: string) =>
  Type.Union([StockSetting(description), Type.Null()], { description: `${description} Null when not set.` });

const Name = Type.String({
  minLength: 1,
  maxLength: 200,
  description:
    'Name of the part, e.g. "Brake assembly"; trimmed, unique among the live definitions of the organization.',
});

const Category = Type.String({
  minLength: 1,
  maxLength: 100,
  description: 'Category, e.g. "landing gear" or "engine"; trimmed, not blank.',
});

const SerialNumber = Type.String({
  minLength: 1,
  maxLength: 100,
  description:
    'Serial number of the physical part; trimmed, unique among the live items of the organization.',
});

const ExpiryDate = Type.Union(
  [timestampField('When the part expires; must be in the future when set or changed.'), Type.Null()],
  {
    description:
      'When the part expires (RFC 3339), or null if it never does. Must be in the future when set or changed.',
  },
);

// ---------------------------------------------------------------------------------------------
// Part definitions
// ---------------------------------------------------------------------------------------------

/** A part definition with its stock counted from its items. */
export const PartDefinition = Type.Object(
  {
    id: uuidField('Part definition id.'),
    org_id: uuidField('The organization the definition belongs to.'),
    name: Type.String({
      description: 'Name of the part, unique among the live definitions of the organization.',
    }),
    category: Type.String({ description: 'Category of the part.' }),
    min_stock_level: OptionalStockSetting('Fewer available items than this sets below_min_stock.'),
    reorder_point: OptionalStockSetting('Stock level at which to reorder (informational).'),
    lead_time_days: OptionalStockSetting('Days a reorder takes to arrive (informational).'),
    in_stock: Type.Integer({
      description: 'Live items of this definition that are in stock and not expired.',
    }),
    reserved: Type.Integer({ description: 'Of the items in stock, those held by an active reservation.' }),
    available: Type.Integer({ description: 'in_stock − reserved: items that can still be reserved.' }),
    below_min_stock: Type.Boolean({
      description: 'True when min_stock_level is set and fewer items than that are available.',
    }),
    created_at: timestampField('When the definition was created.'),
    updated_at: timestampField('When the definition last changed.'),
  },
  { additionalProperties: false, description: 'A kind of part in the catalogue, with its stock.' },
);

export const DefinitionListQuery = Type.Object(
  {
    ...PageQuery,
    ...CursorQuery,
    ...OrgScopeQuery,
    category: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        description: 'Only definitions of this category (exact).',
      }),
    ),
    name: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description: 'Only definitions whose name contains this text, regardless of case.',
      }),
    ),
    below_min_stock: Type.Optional(
      Type.Boolean({
        description: 'true: only definitions below their minimum stock; false: only those that are not.',
      }),
    ),
    sort: sortQuery(DEFINITION_SORT_FIELDS),
  },
  { additionalProperties: false },
);

export const CreateDefinitionBody = Type.Object(
  {
    name: Name,
    category: Category,
    min_stock_level: Type.Optional(OptionalStockSetting('Minimum number of available items.')),
    reorder_point: Type.Optional(OptionalStockSetting('Stock level at which to reorder.')),
    lead_time_days: Type.Optional(OptionalStockSetting('Days a reorder takes to arrive.')),
  },
  { additionalProperties: false, description: 'The new part definition.' },
);

export const UpdateDefinitionBody = Type.Object(
  {
    name: Type.Optional(Name),
    category: Type.Optional(Category),
    min_stock_level: Type.Optional(
      OptionalStockSetting('Minimum number of available items; null clears it.'),
    ),
    reorder_point: Type.Optional(OptionalStockSetting('Stock level at which to reorder; null clears it.')),
    lead_time_days: Type.Optional(OptionalStockSetting('Days a reorder takes to arrive; null clears it.')),
  },
  { additionalProperties: false, minProperties: 1, description: 'The fields to change.' },
);

// ---------------------------------------------------------------------------------------------
// Part items
// ---------------------------------------------------------------------------------------------

/** A serialized part item. */
export const PartItem = Type.Object(
  {
    id: uuidField('Part item id.'),
    org_id: uuidField('The organization the item belongs to.'),
    part_definition_id: uuidField('The definition this item is one of.'),
    serial_number: Type.String({
      description: 'Serial number, unique among the live items of the organization.',
    }),
    status: ItemStatus,
    expiry_date: Type.Union([timestampField('When the part expires.'), Type.Null()], {
      description: 'When the part expires (RFC 3339, UTC), or null if it never does.',
    }),
    created_at: timestampField('When the item was created.'),
    updated_at: timestampField('When the item last changed.'),
  },
  { additionalProperties: false, description: 'One physical, serialized part.' },
);

export const ItemListQuery = Type.Object(
  {
    ...PageQuery,
    ...CursorQuery,
    ...OrgScopeQuery,
    status: Type.Optional(Type.Enum(PART_ITEM_STATUSES, { description: 'Only items with this status.' })),
    definition_id: Type.Optional(uuidField('Only items of this part definition.')),
    expiry_before: Type.Optional(
      timestampField('Only items that expire before this time (items without expiry never match).'),
    ),
    serial: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        description: 'Only items whose serial number contains this text, regardless of case.',
      }),
    ),
    sort: sortQuery(ITEM_SORT_FIELDS),
  },
  { additionalProperties: false },
);

export const CreateItemBody = Type.Object(
  {
    part_definition_id: uuidField(
      'The definition the item is one of; a live definition of your organization.',
    ),
    serial_number: SerialNumber,
    status: Type.Optional(
      Type.Enum(PART_ITEM_STATUSES, { description: 'Starting status; in_stock when omitted.' }),
    ),
    expiry_date: Type.Optional(ExpiryDate),
  },
  { additionalProperties: false, description: 'The new part item.' },
);

export const UpdateItemBody = Type.Object(
  {
    serial_number: Type.Optional(SerialNumber),
    status: Type.Optional(
      Type.Enum(PART_ITEM_STATUSES, {
        description:
          'New status. used and disposed are final (409 ITEM_FINAL); a reserved item is neither disposed nor marked used here (409 ITEM_RESERVED).',
      }),
    ),
    expiry_date: Type.Optional(ExpiryDate),
  },
  {
    additionalProperties: false,
    minProperties: 1,
    description:
      'The fields to change. The expiry is checked only when it changes, so an expired item can still be marked used or disposed.',
  },
);

// ---------------------------------------------------------------------------------------------
// Part reservations
// ---------------------------------------------------------------------------------------------

/** A part item held for a maintenance task. */
export const PartReservation = Type.Object(
  {
    id: uuidField('Reservation id.'),
    org_id: uuidField('The organization the reservation belongs to.'),
    task_id: uuidField('The maintenance task the item is held for.'),
    part_item_id: uuidField('The reserved part item.'),
    state: ReservationState,
    quantity: Type.Integer({ description: 'Always 1: a reservation holds one serialized item.' }),
    created_at: timestampField('When the item was reserved.'),
    updated_at: timestampField('When the reservation last changed state.'),
  },
  { additionalProperties: false, description: 'One part item held for one maintenance task.' },
);

export const ReservationListQuery = Type.Object(
  {
    ...PageQuery,
    ...CursorQuery,
    ...OrgScopeQuery,
    task_id: Type.Optional(uuidField('Only reservations for this task.')),
    part_item_id: Type.Optional(uuidField('Only reservations of this part item.')),
    state: Type.Optional(Type.Enum(RESERVATION_STATES, { description: 'Only reservations in this state.' })),
    sort: sortQuery(RESERVATION_SORT_FIELDS),
  },
  { additionalProperties: false },
);

export const ReserveBody = Type.Object(
  {
    task_id: uuidField(
      'The task to reserve for: a live, scheduled or in-progress task of your organization.',
    ),
    part_item_id: uuidField('The item to reserve: a live, in-stock, unexpired item of your organization.'),
    quantity: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 1,
        description: 'Always 1 (an item is one serialized part); accepted for compatibility.',
      }),
    ),
  },
  { additionalProperties: false, description: 'The item to reserve and the task to hold it for.' },
);

export const TransitionBody = Type.Object(
  {
    new_state: Type.Enum(RESERVATION_TARGETS, {
      description:
        'used: the part was fitted (the item becomes used too); released: the item goes back to stock. Both are final.',
    }),
  },
  { additionalProperties: false, description: 'The state to move a reserved reservation to.' },
);
