import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { partDefinitionView, partItemView, partReservationView } from '../../../app/parts.js';
import type { Services } from '../../../app/services.js';
import { createdLocation, mutationContext } from '../context.js';
import { pageFrom, sendPage } from '../pagination.js';
import { actorOf, policy } from '../plugins/auth.js';
import { errorResponses, IdParams, SCOPE_NOTE, toDate } from '../schemas/common.js';
import {
  CreateDefinitionBody,
  CreateItemBody,
  DefinitionListQuery,
  ItemListQuery,
  PartDefinition,
  PartItem,
  PartReservation,
  ReservationListQuery,
  ReserveBody,
  ScopeQuery,
  TransitionBody,
  UpdateDefinitionBody,
  UpdateItemBody,
} from '../schemas/parts.js';

const tags = ['parts'];
const Deleted = Type.Null({ description: 'Deleted.' });

/**
 * `/part-definitions`, `/part-items`, `/part-reservations`: the parts inventory. Schedulers,
 * mechanics and admins change it; every role reads it.
 */
export const partRoutes =
  ({ parts }: Services) =>
  async (instance: FastifyInstance): Promise<void> => {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>();

    // -- definitions ----------------------------------------------------------------------

    app.post(
      '/part-definitions',
      {
        config: policy('parts', 'create'),
        schema: {
          tags,
          summary: 'Create a part definition',
          description: `${SCOPE_NOTE} A name taken by a live definition is 409 PART_NAME_TAKEN.`,
          querystring: ScopeQuery,
          body: CreateDefinitionBody,
          response: { 201: PartDefinition, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        const body = request.body;
        const definition = await parts.createDefinition(mutationContext(request), {
          name: body.name,
          category: body.category,
          minStockLevel: body.min_stock_level,
          reorderPoint: body.reorder_point,
          leadTimeDays: body.lead_time_days,
          orgId: request.query.org_id,
        });
        return reply
          .code(201)
          .header('Location', createdLocation(request, definition.id))
          .send(partDefinitionView(definition));
      },
    );

    app.get(
      '/part-definitions',
      {
        config: policy('parts', 'read'),
        schema: {
          tags,
          summary: 'List part definitions with their stock',
          description: `${SCOPE_NOTE} By name unless \`sort\` says otherwise; paginated with \`Link: <…>; rel="next"\`.`,
          querystring: DefinitionListQuery,
          response: { 200: Type.Array(PartDefinition), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const query = request.query;
        const page = pageFrom(query);
        const result = await parts.listDefinitions(
          actorOf(request),
          {
            orgId: query.org_id,
            category: query.category,
            name: query.name,
            belowMinStock: query.below_min_stock,
            sort: query.sort,
          },
          page,
        );
        return sendPage(request, reply, page, result, partDefinitionView);
      },
    );

    app.get(
      '/part-definitions/:id',
      {
        config: policy('parts', 'read'),
        schema: {
          tags,
          summary: 'Get a part definition with its stock',
          description: SCOPE_NOTE,
          params: IdParams,
          querystring: ScopeQuery,
          response: { 200: PartDefinition, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) =>
        partDefinitionView(
          await parts.getDefinition(actorOf(request), request.params.id, { orgId: request.query.org_id }),
        ),
    );

    app.patch(
      '/part-definitions/:id',
      {
        config: policy('parts', 'update'),
        schema: {
          tags,
          summary: 'Change a part definition',
          description: `${SCOPE_NOTE} A name taken by another live definition is 409 PART_NAME_TAKEN.`,
          params: IdParams,
          querystring: ScopeQuery,
          body: UpdateDefinitionBody,
          response: { 200: PartDefinition, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) => {
        const body = request.body;
        const definition = await parts.updateDefinition(
          mutationContext(request),
          request.params.id,
          {
            name: body.name,
            category: body.category,
            minStockLevel: body.min_stock_level,
            reorderPoint: body.reorder_point,
            leadTimeDays: body.lead_time_days,
          },
          { orgId: request.query.org_id },
        );
        return partDefinitionView(definition);
      },
    );

    app.delete(
      '/part-definitions/:id',
      {
        config: policy('parts', 'delete'),
        schema: {
          tags,
          summary: 'Delete a part definition',
          description: `${SCOPE_NOTE} Soft delete; the name can then be reused. A definition that still has live items is 409 PART_DEFINITION_IN_USE.`,
          params: IdParams,
          querystring: ScopeQuery,
          response: { 204: Deleted, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        await parts.deleteDefinition(mutationContext(request), request.params.id, {
          orgId: request.query.org_id,
        });
        return reply.code(204).send(null);
      },
    );

    // -- items ----------------------------------------------------------------------------

    app.post(
      '/part-items',
      {
        config: policy('parts', 'create'),
        schema: {
          tags,
          summary: 'Create a part item',
          description: `${SCOPE_NOTE} The definition must be a live one of the organization (404 PART_DEFINITION_NOT_FOUND); a serial number taken by a live item is 409 SERIAL_TAKEN; an expiry that is not in the future is 400 EXPIRY_IN_PAST.`,
          querystring: ScopeQuery,
          body: CreateItemBody,
          response: { 201: PartItem, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        const body = request.body;
        const item = await parts.createItem(mutationContext(request), {
          partDefinitionId: body.part_definition_id,
          serialNumber: body.serial_number,
          status: body.status,
          expiryDate: toDate(body.expiry_date),
          orgId: request.query.org_id,
        });
        return reply.code(201).header('Location', createdLocation(request, item.id)).send(partItemView(item));
      },
    );

    app.get(
      '/part-items',
      {
        config: policy('parts', 'read'),
        schema: {
          tags,
          summary: 'List part items',
          description: `${SCOPE_NOTE} By serial number unless \`sort\` says otherwise; paginated with \`Link: <…>; rel="next"\`.`,
          querystring: ItemListQuery,
          response: { 200: Type.Array(PartItem), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const query = request.query;
        const page = pageFrom(query);
        const result = await parts.listItems(
          actorOf(request),
          {
            orgId: query.org_id,
            status: query.status,
            definitionId: query.definition_id,
            expiryBefore: toDate(query.expiry_before) ?? undefined,
            serial: query.serial,
            sort: query.sort,
          },
          page,
        );
        return sendPage(request, reply, page, result, partItemView);
      },
    );

    app.get(
      '/part-items/:id',
      {
        config: policy('parts', 'read'),
        schema: {
          tags,
          summary: 'Get a part item',
          description: SCOPE_NOTE,
          params: IdParams,
          querystring: ScopeQuery,
          response: { 200: PartItem, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) =>
        partItemView(
          await parts.getItem(actorOf(request), request.params.id, { orgId: request.query.org_id }),
        ),
    );

    app.patch(
      '/part-items/:id',
      {
        config: policy('parts', 'update'),
        schema: {
          tags,
          summary: 'Change a part item',
          description: `${SCOPE_NOTE} used and disposed are final (409 ITEM_FINAL); a reserved item is used or released through its reservation (409 ITEM_RESERVED). A changed expiry must be in the future (400 EXPIRY_IN_PAST).`,
          params: IdParams,
          querystring: ScopeQuery,
          body: UpdateItemBody,
          response: { 200: PartItem, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) => {
        const body = request.body;
        const item = await parts.updateItem(
          mutationContext(request),
          request.params.id,
          { serialNumber: body.serial_number, status: body.status, expiryDate: toDate(body.expiry_date) },
          { orgId: request.query.org_id },
        );
        return partItemView(item);
      },
    );

    app.delete(
      '/part-items/:id',
      {
        config: policy('parts', 'delete'),
        schema: {
          tags,
          summary: 'Delete a part item',
          description: `${SCOPE_NOTE} Soft delete; the serial number can then be reused. A reserved item is 409 ITEM_RESERVED.`,
          params: IdParams,
          querystring: ScopeQuery,
          response: { 204: Deleted, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        await parts.deleteItem(mutationContext(request), request.params.id, { orgId: request.query.org_id });
        return reply.code(204).send(null);
      },
    );

    // -- reservations ---------------------------------------------------------------------

    app.post(
      '/part-reservations',
      {
        config: policy('parts', 'create'),
        schema: {
          tags,
          summary: 'Reserve a part item for a task',
          description: `${SCOPE_NOTE} Holds one item for one task until it is used or released. The task must be a live one of the organization (404 TASK_NOT_FOUND) that is scheduled or in progress (409 TASK_NOT_OPEN); the item a live one (404 PART_ITEM_NOT_FOUND), in stock and not reserved (409 PART_NOT_AVAILABLE) and not expired (409 PART_EXPIRED). Of racing reservations of one item exactly one succeeds; while another request holds the item, 409 LOCKED with Retry-After.`,
          querystring: ScopeQuery,
          body: ReserveBody,
          response: { 201: PartReservation, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        const body = request.body;
        const reservation = await parts.reserve(mutationContext(request), {
          taskId: body.task_id,
          partItemId: body.part_item_id,
          quantity: body.quantity,
          orgId: request.query.org_id,
        });
        return reply
          .code(201)
          .header('Location', createdLocation(request, reservation.id))
          .send(partReservationView(reservation));
      },
    );

    app.get(
      '/part-reservations',
      {
        config: policy('parts', 'read'),
        schema: {
          tags,
          summary: 'List part reservations',
          description: `${SCOPE_NOTE} Oldest first unless \`sort\` says otherwise; paginated with \`Link: <…>; rel="next"\`.`,
          querystring: ReservationListQuery,
          response: { 200: Type.Array(PartReservation), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const query = request.query;
        const page = pageFrom(query);
        const result = await parts.listReservations(
          actorOf(request),
          {
            orgId: query.org_id,
            taskId: query.task_id,
            partItemId: query.part_item_id,
            state: query.state,
            sort: query.sort,
          },
          page,
        );
        return sendPage(request, reply, page, result, partReservationView);
      },
    );

    app.get(
      '/part-reservations/:id',
      {
        config: policy('parts', 'read'),
        schema: {
          tags,
          summary: 'Get a part reservation',
          description: SCOPE_NOTE,
          params: IdParams,
          querystring: ScopeQuery,
          response: { 200: PartReservation, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) =>
        partReservationView(
          await parts.getReservation(actorOf(request), request.params.id, { orgId: request.query.org_id }),
        ),
    );

    app.patch(
      '/part-reservations/:id/state',
      {
        config: policy('parts', 'update'),
        schema: {
          tags,
          summary: 'Mark a reserved part used or release it',
          description: `${SCOPE_NOTE} From reserved only; used and released are final (409 INVALID_TRANSITION). used: by the task's assigned mechanic (another mechanic gets 403 NOT_ASSIGNED_MECHANIC), a scheduler or an admin; the item becomes used in the same transaction, and an item that expired since it was reserved is refused (409 PART_EXPIRED). released: by a scheduler, mechanic or admin; the item stays in stock.`,
          params: IdParams,
          querystring: ScopeQuery,
          body: TransitionBody,
          response: { 200: PartReservation, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) =>
        partReservationView(
          await parts.transitionReservation(
            mutationContext(request),
            request.params.id,
            request.body.new_state,
            {
              orgId: request.query.org_id,
            },
          ),
        ),
    );
  };
