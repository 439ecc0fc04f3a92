// Helpers for the visibility cross-process tests.
export {
  createTestDatabase,
  freePort,
  gateHeaders,
  serviceHeaders,
  TEST_GATE_TOKEN,
  TEST_SERVICE_TOKEN,
} from '@isd/test-support';
