// Builds the accounts service from config: the back end it writes to and the controller it asks.
import type { Database, Logger } from '@isd/kit';
import type { AuditStore } from '../audit/audit-store';
import type { SaporConfig } from '../config';
import type { GateClient } from '../gate-client';
import { AccountService } from './account-service';
import { ClouddriverBackend, GitBackend, NoBackend, type AccountBackend } from './backends';
import { ControllerClient } from './controller-client';
import { AccountStore } from './store';

export function createAccountService(
  config: SaporConfig,
  dependencies: { database: Database; gate: GateClient | undefined; audit: AuditStore; logger: Logger },
): AccountService {
  const { accounts } = config;
  let backend: AccountBackend;
  if (accounts.backend === 'clouddriver') {
    // Clouddriver's account API is reached through Gate, with sapor's one Gate client.
    if (!dependencies.gate) throw new Error('accounts.backend is clouddriver but gate.url is not set');
    backend = new ClouddriverBackend(dependencies.gate);
  } else if (accounts.backend === 'git') {
    if (!accounts.git) throw new Error('accounts.backend is git but accounts.git.url is not set');
    backend = new GitBackend(accounts.git);
  } else backend = new NoBackend();
  return new AccountService({
    store: new AccountStore(dependencies.database),
    backend,
    controller: accounts.controller ? new ControllerClient(accounts.controller) : undefined,
    audit: dependencies.audit,
    checkTimeoutMs: accounts.checkTimeoutMs,
    logger: dependencies.logger,
  });
}
