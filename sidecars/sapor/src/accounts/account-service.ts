// Accounts without restarts: checks a kubeconfig against its cluster (or gets one from the tunnel
// controller for an account through an agent), writes the account to the configured back end, records
// the version and appends the change to the audit trail. Deleting revokes what the controller issued.
import { randomUUID } from 'node:crypto';
import { ConflictError, InputError, NotFoundError, UnavailableError, type Logger } from '@isd/kit';
import type { AuditStore } from '../audit/audit-store';
import type { AccountBackend } from './backends';
import type { ControllerClient } from './controller-client';
import { checkCluster, parseKubeconfig, summarize, type ParsedKubeconfig } from './kubeconfig';
import type { AccountView } from './schemas';
import type { AccountDefinition, AccountStore, HistoryEntry, IssuedCredentials, StoredAccount } from './store';

/** A create or a full replacement, as validated by the routes. */
export interface AccountInput {
  name: string;
  kubeconfig?: string;
  agent?: { name: string; namespace?: string };
  context?: string;
  namespaces?: string[];
  omitNamespaces?: string[];
  environment?: string;
  permissions: { READ?: string[]; WRITE?: string[]; EXECUTE?: string[] };
}

export interface AccountWrite {
  account: AccountView;
  /** Through an agent whose manifest this change issued: the manifest to apply (shown once). */
  agentManifest?: string;
}

export interface AccountServiceOptions {
  store: AccountStore;
  backend: AccountBackend;
  controller: ControllerClient | undefined;
  audit: AuditStore;
  checkTimeoutMs: number;
  logger: Logger;
}

const DEFAULT_AGENT_NAMESPACE = 'isd-agent';
/** Longer than any one change takes (cluster check, controller calls, git attempts); a dead replica's lease expires. */
const LEASE_MS = 10 * 60_000;

/** What a change will write, and the credentials it issued (revoked again if the write fails). */
interface Prepared {
  definition: AccountDefinition;
  kubeconfig: ParsedKubeconfig;
  credentials: IssuedCredentials;
  issued: string[];
  agentManifest?: string;
}

export function presentAccount(account: StoredAccount): AccountView {
  return {
    ...account.definition,
    version: account.version,
    backend: account.backend,
    revision: account.revision,
    createdAt: account.createdAt,
    createdBy: account.createdBy,
    updatedAt: account.updatedAt,
    updatedBy: account.updatedBy,
  };
}

export class AccountService {
  /** Changes of one account run one at a time in this replica. */
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(private readonly options: AccountServiceOptions) {}

  async list(page: { after?: string; limit: number }): Promise<AccountView[]> {
    return (await this.options.store.list(page)).map(presentAccount);
  }

  async get(name: string): Promise<AccountView> {
    const account = await this.options.store.get(name);
    if (!account) throw new NotFoundError(`account ${name} does not exist`, { code: 'account_not_found' });
    return presentAccount(account);
  }

  async history(name: string): Promise<Array<Omit<HistoryEntry, 'definition'> & { account: unknown }>> {
    const entries = await this.options.store.history(name);
    if (entries.length === 0)
      throw new NotFoundError(`account ${name} has no history: it was never created here`, {
        code: 'account_not_found',
      });
    return entries.map(({ definition, ...entry }) => ({
      ...entry,
      account: definition
        ? { ...definition, version: entry.version, backend: entry.backend, revision: entry.revision }
        : null,
    }));
  }

  create(input: AccountInput, actor: string): Promise<AccountWrite> {
    return this.serialized(input.name, async () => {
      if (await this.options.store.get(input.name))
        throw new ConflictError(`account ${input.name} already exists; PUT replaces it`, { code: 'account_exists' });
      const prepared = await this.prepare(input, undefined);
      const write = await this.writeOrRevoke(prepared, () =>
        this.options.backend.create(this.backendAccount(prepared, input), actor),
      );
      const recorded = await this.options.store.record({
        name: input.name,
        action: 'created',
        actor,
        backend: this.options.backend.kind,
        definition: prepared.definition,
        credentials: prepared.credentials,
        revision: write.revision,
      });
      if (!recorded?.account)
        throw new ConflictError(`account ${input.name} was created by another replica at the same time`, {
          code: 'account_exists',
        });
      await this.auditChange('created', recorded.account, actor);
      return { account: presentAccount(recorded.account), agentManifest: prepared.agentManifest };
    });
  }

  update(input: AccountInput, actor: string): Promise<AccountWrite> {
    return this.serialized(input.name, async () => {
      const existing = await this.options.store.get(input.name);
      if (!existing)
        throw new NotFoundError(`account ${input.name} does not exist; POST creates it`, { code: 'account_not_found' });
      const prepared = await this.prepare(input, existing);
      const write = await this.writeOrRevoke(prepared, () =>
        this.options.backend.update(this.backendAccount(prepared, input), actor),
      );
      const recorded = await this.options.store.record({
        name: input.name,
        action: 'updated',
        actor,
        backend: this.options.backend.kind,
        definition: prepared.definition,
        credentials: prepared.credentials,
        revision: write.revision,
        expectedVersion: existing.version,
      });
      if (!recorded?.account)
        throw new ConflictError(
          `account ${input.name} was changed by another replica at the same time; read it again`,
          {
            code: 'account_changed',
          },
        );
      // What the previous version held and this one no longer uses stops working now.
      await this.revokeUnused(existing, prepared.credentials).catch((error: unknown) =>
        this.options.logger.error({ err: error, account: input.name }, 'revoking the previous credentials failed'),
      );
      await this.auditChange('updated', recorded.account, actor);
      return { account: presentAccount(recorded.account), agentManifest: prepared.agentManifest };
    });
  }

  delete(
    name: string,
    actor: string,
  ): Promise<{ name: string; version: number; revision: string | null; revoked: number }> {
    return this.serialized(name, async () => {
      const existing = await this.options.store.get(name);
      if (!existing) throw new NotFoundError(`account ${name} does not exist`, { code: 'account_not_found' });
      // Revoked first: if revoking fails nothing is deleted, so no credential outlives its account.
      const revoked = await this.revokeUnused(existing, {});
      const write = await this.options.backend.delete(name, actor);
      const recorded = await this.options.store.record({
        name,
        action: 'deleted',
        actor,
        backend: this.options.backend.kind,
        definition: null,
        credentials: {},
        revision: write.revision,
        expectedVersion: existing.version,
      });
      if (!recorded)
        throw new ConflictError(`account ${name} was changed by another replica at the same time; read it again`, {
          code: 'account_changed',
        });
      await this.auditChange('deleted', { ...existing, version: recorded.version, revision: write.revision }, actor);
      return { name, version: recorded.version, revision: write.revision, revoked };
    });
  }

  /**
   * Runs one change of `name` at a time: queued behind this replica's earlier changes, and refused (409) while
   * another replica holds the account's lease.
   */
  private async serialized<T>(name: string, work: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(name) ?? Promise.resolve();
    const next = previous
      .catch(() => undefined)
      .then(async () => {
        const holder = randomUUID();
        if (!(await this.options.store.acquire(name, holder, LEASE_MS)))
          throw new ConflictError(`account ${name} is being changed by another request; try again`, {
            code: 'account_busy',
          });
        try {
          return await work();
        } finally {
          await this.options.store
            .release(name, holder)
            .catch((error: unknown) =>
              this.options.logger.warn({ err: error, account: name }, 'releasing the account lease failed'),
            );
        }
      });
    const tail = next.catch(() => undefined);
    this.locks.set(name, tail);
    try {
      return await next;
    } finally {
      if (this.locks.get(name) === tail) this.locks.delete(name);
    }
  }

  private backendAccount(prepared: Prepared, input: AccountInput) {
    return { definition: prepared.definition, kubeconfig: prepared.kubeconfig.text, context: input.context };
  }

  /** Runs the back end write; if it fails, what this change issued is revoked again. */
  private async writeOrRevoke<T>(prepared: Prepared, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      for (const serial of prepared.issued)
        await this.options.controller
          ?.revoke(serial)
          .catch((revokeError: unknown) =>
            this.options.logger.error(
              { err: revokeError, serial },
              'revoking credentials of a failed account write failed',
            ),
          );
      throw error;
    }
  }

  private async prepare(input: AccountInput, existing: StoredAccount | undefined): Promise<Prepared> {
    const common = {
      name: input.name,
      type: 'kubernetes' as const,
      namespaces: input.namespaces ?? [],
      omitNamespaces: input.omitNamespaces ?? [],
      environment: input.environment ?? input.name,
      permissions: input.permissions,
    };
    if (input.kubeconfig !== undefined) {
      const kubeconfig = parseKubeconfig(input.kubeconfig, input.context);
      await checkCluster(kubeconfig, common.namespaces, this.options.checkTimeoutMs);
      return {
        definition: { ...common, kubeconfig: summarize(kubeconfig), agent: null },
        kubeconfig,
        credentials: {},
        issued: [],
      };
    }
    const agent = { name: input.agent!.name, namespace: input.agent!.namespace ?? DEFAULT_AGENT_NAMESPACE };
    const controller = this.options.controller;
    if (!controller)
      throw new InputError('agent: accounts.controller is not configured, so accounts cannot go through an agent', {
        code: 'controller_not_configured',
        issues: [{ path: 'agent', message: 'accounts.controller is not configured' }],
      });
    const issued: string[] = [];
    // An agent already serving another account (or this one's previous version) keeps its certificate.
    const sameAgent = existing?.definition.agent?.name === agent.name ? existing : undefined;
    const sharing = sameAgent ? [sameAgent] : await this.options.store.usingAgent(agent.name, input.name);
    let agentSerial = sharing.find((account) => account.credentials.agentSerial)?.credentials.agentSerial;
    let agentManifest: string | undefined;
    if (sharing.length === 0) {
      const manifest = await controller.agentManifest(agent.name, agent.namespace);
      agentSerial = manifest.serial;
      agentManifest = manifest.manifest;
      issued.push(manifest.serial);
    }
    try {
      const tunnel = await controller.kubeconfig(agent.name);
      if (tunnel.serial) issued.push(tunnel.serial);
      const kubeconfig = parseKubeconfig(tunnel.kubeconfig);
      return {
        definition: { ...common, kubeconfig: summarize(kubeconfig), agent },
        kubeconfig,
        credentials: { userSerial: tunnel.serial, agentSerial },
        issued,
        agentManifest,
      };
    } catch (error) {
      for (const serial of issued) await controller.revoke(serial).catch(() => undefined);
      throw error;
    }
  }

  /**
   * Revokes the credentials of `previous` that `next` no longer holds: its kubeconfig certificate, and the
   * agent's certificate once no other account reaches the cluster through that agent. Returns how many.
   */
  private async revokeUnused(previous: StoredAccount, next: IssuedCredentials): Promise<number> {
    const serials: string[] = [];
    const { userSerial, agentSerial } = previous.credentials;
    if (userSerial && userSerial !== next.userSerial) serials.push(userSerial);
    const agentName = previous.definition.agent?.name;
    if (agentSerial && agentSerial !== next.agentSerial && agentName) {
      const others = await this.options.store.usingAgent(agentName, previous.definition.name);
      if (others.length === 0) serials.push(agentSerial);
    }
    if (serials.length === 0) return 0;
    const controller = this.options.controller;
    if (!controller)
      throw new UnavailableError(
        `account ${previous.definition.name} holds tunnel credentials but accounts.controller is not configured to revoke them`,
        { code: 'controller_not_configured' },
      );
    for (const serial of serials) await controller.revoke(serial);
    return serials.length;
  }

  private async auditChange(action: 'created' | 'updated' | 'deleted', account: StoredAccount, actor: string) {
    const { definition } = account;
    try {
      await this.options.audit.append({
        source: 'sapor',
        key: `account:${definition.name}:${account.version}`,
        type: 'account',
        outcome: action,
        application: null,
        actor,
        occurredAt: new Date(),
        subject: { account: definition.name, accountType: definition.type },
        details: {
          version: account.version,
          backend: account.backend,
          revision: account.revision,
          server: definition.kubeconfig.server,
          kubeconfigSha256: definition.kubeconfig.sha256,
          agent: definition.agent?.name ?? null,
          namespaces: definition.namespaces,
          permissions: definition.permissions,
        },
      });
    } catch (error) {
      // The change is made and versioned; a lost audit record is logged loudly rather than undoing it.
      this.options.logger.error(
        { err: error, account: definition.name, action },
        'appending the account change to the audit trail failed',
      );
    }
  }
}
