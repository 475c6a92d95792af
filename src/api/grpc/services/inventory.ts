import type { MutationContext } from '../../../app/mutation.js';
import type { Services } from '../../../app/services.js';
import type { PartReservation } from '../../../domain/part.js';
import { AppError } from '../../../app/errors.js';
import { InventoryServiceService, type InventoryServiceServer } from '../gen/amss.js';
import { mutationContext, unary, type CallOptions } from '../call.js';
import { id, reservationMessage } from '../mapping.js';

/** `amss.v1.InventoryService` over the same PartService as the REST routes. */
export function inventoryService(services: Services, options: CallOptions): InventoryServiceServer {
  const definition = InventoryServiceService;

  /**
   * Reserves the items one by one (each under its lock, as REST does); when one fails, the ones
   * this call reserved are released again, so the call reserves all of them or none.
   */
  async function reserveAll(
    ctx: MutationContext,
    taskId: string,
    itemIds: string[],
  ): Promise<PartReservation[]> {
    const reserved: PartReservation[] = [];
    try {
      for (const partItemId of itemIds) {
        reserved.push(await services.parts.reserve(ctx, { taskId, partItemId }));
      }
      return reserved;
    } catch (error) {
      for (const reservation of reserved) {
        await services.parts.transitionReservation(ctx, reservation.id, 'released');
      }
      throw error;
    }
  }

  return {
    reserveParts: unary(
      definition.reserveParts,
      async (request, context) => {
        const taskId = id(request.taskId, 'task_id');
        const itemIds = request.partItemIds.map((item, i) => id(item, `part_item_ids[${i}]`));
        if (itemIds.length === 0 || new Set(itemIds).size !== itemIds.length) {
          throw AppError.validation('part_item_ids must list at least one item, each once', [
            { field: 'part_item_ids', message: 'must be a non-empty list without repeats' },
          ]);
        }
        const reservations = await reserveAll(mutationContext(context), taskId, itemIds);
        return { reservations: reservations.map(reservationMessage) };
      },
      options,
    ),
    releaseParts: unary(
      definition.releaseParts,
      async (request, context) => {
        const ids = request.reservationIds.map((value, i) => id(value, `reservation_ids[${i}]`));
        if (ids.length === 0) {
          throw AppError.validation('reservation_ids must list at least one reservation', [
            { field: 'reservation_ids', message: 'must not be empty' },
          ]);
        }
        const ctx = mutationContext(context);
        const released: PartReservation[] = [];
        for (const reservationId of ids) {
          released.push(await services.parts.transitionReservation(ctx, reservationId, 'released'));
        }
        return { reservations: released.map(reservationMessage) };
      },
      options,
    ),
  };
}
