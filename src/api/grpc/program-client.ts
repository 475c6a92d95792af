import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import {
  countGenerated,
  type GenerateDueInput,
  type GenerationResult,
  type ProgramGenerationService,
  type SkipReason,
} from '../../app/program-generation.js';
import { AppError } from '../../app/errors.js';
import { ProgramServiceClient, type GenerateTasksResponse } from './gen/amss.js';
import { requiredTime, taskFromMessage } from './mapping.js';

/** Signs the short-lived service tokens AMSS processes call each other with. */
export interface ServiceTokenSigner {
  signServiceToken(job: string): Promise<string>;
}

/**
 * The program generator, run by the server over gRPC: what the worker uses when
 * PROGRAM_SERVICE_ADDR names a server (the specification's "communicates via gRPC where
 * appropriate"); without it the worker runs the generator in process. Each call carries a fresh
 * service token of the `program-generator` job, so the server generates for every organization
 * as `system:program-generator`, exactly as the in-process generator would.
 */
export class GrpcProgramGeneration implements Pick<ProgramGenerationService, 'generateDue'> {
  private readonly client: ProgramServiceClient;

  constructor(
    address: string,
    private readonly tokens: ServiceTokenSigner,
    private readonly timeoutMs = 5 * 60_000,
  ) {
    this.client = new ProgramServiceClient(address, credentials.createInsecure());
  }

  async generateDue(input: GenerateDueInput): Promise<GenerationResult> {
    const metadata = new Metadata();
    metadata.set('authorization', `Bearer ${await this.tokens.signServiceToken('program-generator')}`);
    const response = await new Promise<GenerateTasksResponse>((resolve, reject) => {
      this.client.generateTasks(
        { programId: input.programId, summaryOnly: input.summaryOnly },
        metadata,
        { deadline: Date.now() + this.timeoutMs },
        (error: ServiceError | null, value: GenerateTasksResponse) =>
          error
            ? reject(
                new AppError(
                  'unavailable',
                  'PROGRAM_SERVICE_FAILED',
                  `GenerateTasks failed: ${error.message}`,
                ),
              )
            : resolve(value),
      );
    });
    const generated = response.generated.map((generated) => {
      const task = taskFromMessage(generated.task!);
      return {
        task,
        plan: {
          programId: task.programId!,
          orgId: task.orgId,
          aircraftId: task.aircraftId,
          dueAt: generated.dueAt ?? null,
          remaining: generated.remaining ?? null,
          startTime: requiredTime(generated.plannedStartTime, 'planned_start_time'),
          endTime: requiredTime(generated.plannedEndTime, 'planned_end_time'),
        },
      };
    });
    return {
      generated,
      // A server from before the counts (a rolling upgrade) sends the list and zero counts.
      counts:
        response.generatedCount === 0 && generated.length > 0
          ? countGenerated(generated)
          : { generated: response.generatedCount, moved: response.movedCount },
      skipped: response.skipped.map((skip) => ({
        programId: skip.programId,
        reason: skip.reason as SkipReason,
        message: skip.message,
      })),
    };
  }

  close(): void {
    this.client.close();
  }
}
