// Clouddriver contract harness: the Account Management API (`/credentials`).
export { startClouddriverAccountApi } from './account-api';
export type {
  ClouddriverAccountApi,
  ClouddriverAccountApiOptions,
  ClouddriverRevision,
  ClouddriverUser,
} from './account-api';
