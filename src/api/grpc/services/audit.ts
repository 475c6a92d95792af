import type { Services } from '../../../app/services.js';
import { AuditServiceService, type AuditServiceServer } from '../gen/amss.js';
import { actorOf, mutationContext, unary, type CallOptions } from '../call.js';
import { auditActions, auditLogMessage, id, optionalId, pageOf, nextPageToken } from '../mapping.js';

/** `amss.v1.AuditService` over the same AuditLogService as the REST routes. */
export function auditService(services: Services, options: CallOptions): AuditServiceServer {
  const definition = AuditServiceService;
  return {
    logAction: unary(
      definition.logAction,
      async (request, context) => {
        const log = await services.auditLogs.logAction(mutationContext(context), {
          entityType: request.entityType,
          entityId: id(request.entityId, 'entity_id'),
          action: auditActions.required(request.action, 'action'),
          details: request.details ?? {},
        });
        return { auditLog: auditLogMessage(log) };
      },
      options,
    ),
    listAuditLogs: unary(
      definition.listAuditLogs,
      async (request, context) => {
        const page = pageOf(request.pageSize, request.pageToken);
        const result = await services.auditLogs.list(
          actorOf(context),
          {
            entityType: request.entityType || undefined,
            entityId: optionalId(request.entityId, 'entity_id'),
            userId: optionalId(request.userId, 'user_id'),
            action: auditActions.domain(request.action),
            from: request.from,
            to: request.to,
          },
          { direction: 'desc', limit: page.limit, offset: page.offset },
        );
        return {
          auditLogs: result.items.map(auditLogMessage),
          nextPageToken: nextPageToken(page, result.hasMore),
        };
      },
      options,
    ),
  };
}
