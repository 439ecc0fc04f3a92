export { visibilityConfigSchema } from './config';
export type { VisibilityConfig } from './config';
export { createVisibilityService, visibilityService, type VisibilityServiceOptions } from './service';
export {
  approvalInstanceSchema,
  approvalListSchema,
  createApprovalSchema,
  decisionRequestSchema,
  evidenceCardSchema,
  evidenceRequestSchema,
  listQuerySchema,
} from './api/schemas';
export type { ApprovalInstanceBody, CreateApprovalRequest, DecisionRequest, EvidenceRequest } from './api/schemas';
export type { ApprovalStatus } from './domain/model';
export { deckPluginPath } from './api/deck-plugin';
