export { createTestDatabase, testClusterUrl } from './database';
export { startTestService, testServiceConfig, TEST_GATE_TOKEN, TEST_SERVICE_TOKEN, gateHeaders, serviceHeaders } from './service';
