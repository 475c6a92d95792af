import type { Services } from '../../../app/services.js';
import { TaskServiceService, type TaskServiceServer } from '../gen/amss.js';
import { actorOf, mutationContext, unary, type CallOptions } from '../call.js';
import {
  id,
  nextPageToken,
  optionalId,
  pageOf,
  requiredTime,
  taskDetailMessage,
  taskMessage,
  taskStates,
  taskPriorities,
  taskTypes,
} from '../mapping.js';

/** `amss.v1.TaskService` over the same TaskService as the REST routes. */
export function taskService(services: Services, options: CallOptions): TaskServiceServer {
  const definition = TaskServiceService;
  return {
    createTask: unary(
      definition.createTask,
      async (request, context) => {
        const task = await services.tasks.create(mutationContext(context), {
          aircraftId: id(request.aircraftId, 'aircraft_id'),
          programId: optionalId(request.programId, 'program_id'),
          priority: taskPriorities.domain(request.priority),
          type: taskTypes.required(request.type, 'type'),
          startTime: requiredTime(request.startTime, 'start_time'),
          endTime: requiredTime(request.endTime, 'end_time'),
          assignedMechanicId: optionalId(request.assignedMechanicId, 'assigned_mechanic_id'),
          notes: request.notes,
          requiredParts: request.requiredParts.map((part, i) => ({
            partDefinitionId: id(part.partDefinitionId, `required_parts[${i}].part_definition_id`),
            quantity: part.quantity,
          })),
        });
        return { task: taskMessage(task) };
      },
      options,
    ),
    transitionState: unary(
      definition.transitionState,
      async (request, context) => {
        const task = await services.tasks.transition(mutationContext(context), id(request.id, 'id'), {
          newState: taskStates.required(request.newState, 'new_state'),
          notes: request.notes,
          allowEarlyCompletion: request.allowEarlyCompletion,
          allowLateCancel: request.allowLateCancel,
        });
        return { task: taskMessage(task) };
      },
      options,
    ),
    getTask: unary(
      definition.getTask,
      async (request, context) =>
        taskDetailMessage(await services.tasks.get(actorOf(context), id(request.id, 'id'))),
      options,
    ),
    listTasks: unary(
      definition.listTasks,
      async (request, context) => {
        const page = pageOf(request.pageSize, request.pageToken);
        const result = await services.tasks.list(
          actorOf(context),
          {
            aircraftId: optionalId(request.aircraftId, 'aircraft_id'),
            state: taskStates.domain(request.state),
            type: taskTypes.domain(request.type),
            priority: taskPriorities.domain(request.priority),
            startFrom: request.startFrom,
            startTo: request.startTo,
            assignedMechanicId: optionalId(request.assignedMechanicId, 'assigned_mechanic_id'),
          },
          page,
        );
        return { tasks: result.items.map(taskMessage), nextPageToken: nextPageToken(page, result.hasMore) };
      },
      options,
    ),
  };
}
