// Fiat contract harness: GET /authorize/{user} and friends, as Fiat's AuthorizeController serves them.
export { startFiatHarness } from './fiat';
export type { FiatAuthorization, FiatHarness, FiatUser } from './fiat';
