import type { Services } from '../../../app/services.js';
import { ProgramServiceService, type ProgramServiceServer } from '../gen/amss.js';
import { mutationContext, unary, type CallOptions } from '../call.js';
import { optionalId, taskMessage } from '../mapping.js';

/**
 * `amss.v1.ProgramService` over the same program generator as the REST route: for a user, their
 * organization; for the worker's service token, every organization.
 */
export function programService(services: Services, options: CallOptions): ProgramServiceServer {
  return {
    generateTasks: unary(
      ProgramServiceService.generateTasks,
      async (request, context) => {
        const { actor, request: origin } = mutationContext(context);
        const result = await services.programGeneration.generateDue({
          programId: optionalId(request.programId, 'program_id'),
          now: new Date(),
          actor,
          request: origin,
          summaryOnly: request.summaryOnly,
        });
        return {
          generated: result.generated.map(({ task, plan }) => ({
            task: taskMessage(task),
            plannedStartTime: plan.startTime,
            plannedEndTime: plan.endTime,
            dueAt: plan.dueAt ?? undefined,
            remaining: plan.remaining ?? undefined,
          })),
          skipped: result.skipped.map(({ programId, reason, message }) => ({ programId, reason, message })),
          generatedCount: result.counts.generated,
          movedCount: result.counts.moved,
        };
      },
      options,
    ),
  };
}
