// Where accounts are written. Two back ends, chosen by `accounts.backend`:
// - Clouddriver's Account Management API (Spinnaker ≥ 1.28), reached through Gate's `/credentials`
//   (CredentialsController → ClouddriverService), with sapor's one Gate client;
// - a git repository read by Clouddriver's config server: `clouddriver-local.yml` lists the accounts,
//   each kubeconfig is its own file referenced as `configserver:kubeconfigs/<name>.yml`. Every change is
//   one commit; a rejected push (the branch moved) is retried on a fresh read of the branch.
import fs from 'node:fs/promises';
import path from 'node:path';
import { ConflictError, UnavailableError, isIsdError } from '@isd/kit';
import { isMap, isSeq, parseDocument } from 'yaml';
import type { GateClient } from '../gate-client';
import { GitError, runGit as git } from '../git-command';
import type { AccountDefinition } from './store';

/** An account as a back end writes it: the stored definition plus the kubeconfig text. */
export interface BackendAccount {
  definition: AccountDefinition;
  kubeconfig: string;
  /** The kubeconfig context, when not its current-context. */
  context?: string;
}

/** What a write produced: the git commit, or null for Clouddriver. */
export interface BackendWrite {
  revision: string | null;
}

export interface AccountBackend {
  readonly kind: 'clouddriver' | 'git';
  create(account: BackendAccount, actor: string): Promise<BackendWrite>;
  update(account: BackendAccount, actor: string): Promise<BackendWrite>;
  delete(name: string, actor: string): Promise<BackendWrite>;
}

/** Clouddriver's KubernetesAccountProperties.ManagedAccount fields sapor sets (no legacy Halyard keys). */
function managedAccount(account: BackendAccount): Record<string, unknown> {
  const { definition } = account;
  return {
    name: definition.name,
    environment: definition.environment,
    ...(account.context ? { context: account.context } : {}),
    ...(definition.namespaces.length ? { namespaces: definition.namespaces } : {}),
    ...(definition.omitNamespaces.length ? { omitNamespaces: definition.omitNamespaces } : {}),
    permissions: definition.permissions,
  };
}

/** Clouddriver's account API through Gate. */
export class ClouddriverBackend implements AccountBackend {
  readonly kind = 'clouddriver';

  constructor(private readonly gate: GateClient) {}

  private body(account: BackendAccount): Record<string, unknown> {
    // `kubeconfigContents` is written by Clouddriver to a temp file; its hash makes a change reload the account.
    return { '@type': 'kubernetes', ...managedAccount(account), kubeconfigContents: account.kubeconfig };
  }

  async create(account: BackendAccount): Promise<BackendWrite> {
    await this.gate.createAccount(this.body(account));
    return { revision: null };
  }

  async update(account: BackendAccount): Promise<BackendWrite> {
    try {
      await this.gate.updateAccount(this.body(account));
    } catch (error) {
      // Removed in Clouddriver by hand meanwhile: created again, since sapor still manages it.
      if (!(isIsdError(error) && error.code === 'account_missing_in_clouddriver')) throw error;
      await this.gate.createAccount(this.body(account));
    }
    return { revision: null };
  }

  async delete(name: string): Promise<BackendWrite> {
    await this.gate.deleteAccount(name);
    return { revision: null };
  }
}

export interface GitBackendOptions {
  url: string;
  branch: string;
  directory: string;
  checkoutDir: string;
  authorName: string;
  authorEmail: string;
  pushAttempts: number;
}

export const ACCOUNTS_FILE = 'clouddriver-local.yml';

/** Stable file name of an account's kubeconfig, relative to the accounts folder. */
export const kubeconfigPath = (name: string): string => `kubeconfigs/${name}.yml`;

type Mutation = (accounts: Array<Record<string, unknown>>) => Array<Record<string, unknown>>;

/** `clouddriver-local.yml` plus kubeconfig files in a git repository. */
export class GitBackend implements AccountBackend {
  readonly kind = 'git';
  /** One change at a time in the one clone. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: GitBackendOptions) {}

  create(account: BackendAccount, actor: string): Promise<BackendWrite> {
    const { name } = account.definition;
    return this.change(`Add Kubernetes account ${name} (by ${actor})`, account, (accounts) => {
      if (accounts.some((entry) => entry.name === name))
        throw new ConflictError(`account ${name} already exists in ${ACCOUNTS_FILE}`, { code: 'account_exists' });
      return [...accounts, this.entry(account)];
    });
  }

  update(account: BackendAccount, actor: string): Promise<BackendWrite> {
    const { name } = account.definition;
    return this.change(`Update Kubernetes account ${name} (by ${actor})`, account, (accounts) => {
      const at = accounts.findIndex((entry) => entry.name === name);
      const entry = this.entry(account);
      // Removed by hand meanwhile: written again, since sapor still manages it.
      return at < 0 ? [...accounts, entry] : accounts.map((existing, index) => (index === at ? entry : existing));
    });
  }

  delete(name: string, actor: string): Promise<BackendWrite> {
    return this.change(`Remove Kubernetes account ${name} (by ${actor})`, { deleting: name }, (accounts) =>
      accounts.filter((entry) => entry.name !== name),
    );
  }

  private entry(account: BackendAccount): Record<string, unknown> {
    return {
      ...managedAccount(account),
      kubeconfigFile: `configserver:${kubeconfigPath(account.definition.name)}`,
    };
  }

  private change(
    message: string,
    subject: BackendAccount | { deleting: string },
    mutate: Mutation,
  ): Promise<BackendWrite> {
    const next = this.queue.then(() => this.commitAndPush(message, subject, mutate));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async commitAndPush(
    message: string,
    subject: BackendAccount | { deleting: string },
    mutate: Mutation,
  ): Promise<BackendWrite> {
    const { branch, pushAttempts, authorName, authorEmail } = this.options;
    const dir = path.resolve(this.options.checkoutDir);
    let lastError: Error | undefined;
    for (let attempt = 1; attempt <= pushAttempts; attempt++) {
      try {
        await this.freshCheckout(dir);
      } catch (error) {
        throw new UnavailableError(`the accounts repository cannot be read: ${(error as Error).message}`, {
          code: 'git_unavailable',
        });
      }
      const folder = path.join(dir, this.options.directory);
      await this.applyChange(folder, subject, mutate);
      await git(['add', '--all', '--', this.options.directory || '.'], dir);
      const staged = await git(['diff', '--cached', '--name-only'], dir);
      if (!staged) return { revision: await git(['rev-parse', 'HEAD'], dir).catch(() => null) };
      await git(
        [
          '-c',
          `user.name=${authorName}`,
          '-c',
          `user.email=${authorEmail}`,
          'commit',
          '--quiet',
          '--no-verify',
          '-m',
          message,
        ],
        dir,
      );
      try {
        await git(['push', '--quiet', '--no-verify', 'origin', `HEAD:refs/heads/${branch}`], dir);
        return { revision: await git(['rev-parse', 'HEAD'], dir) };
      } catch (error) {
        if (!(error instanceof GitError) || !error.rejected)
          throw new UnavailableError(`pushing to the accounts repository failed: ${(error as Error).message}`, {
            code: 'git_unavailable',
          });
        lastError = error;
      }
    }
    throw new ConflictError(
      `the accounts repository's ${branch} kept moving: ${pushAttempts} pushes were rejected (${lastError?.message ?? ''})`,
      { code: 'git_push_conflict' },
    );
  }

  /** The clone at the remote branch's tip, with nothing left over from a failed attempt. */
  private async freshCheckout(dir: string): Promise<void> {
    const { url, branch } = this.options;
    const cloned = await fs
      .stat(path.join(dir, '.git'))
      .then(() => true)
      .catch(() => false);
    if (!cloned) {
      await fs.rm(dir, { recursive: true, force: true });
      await fs.mkdir(dir, { recursive: true });
      await git(['init', '--quiet'], dir);
      await git(['remote', 'add', 'origin', '--', url], dir);
    }
    const remoteHasBranch = (await git(['ls-remote', '--heads', 'origin', `refs/heads/${branch}`], dir)) !== '';
    if (remoteHasBranch) {
      await git(['fetch', '--quiet', '--no-tags', 'origin', `refs/heads/${branch}`], dir);
      await git(['checkout', '--quiet', '--force', '-B', branch, 'FETCH_HEAD'], dir);
    } else {
      // An empty repository: the first change starts the branch, from no commit.
      await git(['symbolic-ref', 'HEAD', `refs/heads/${branch}`], dir);
      await git(['update-ref', '-d', `refs/heads/${branch}`], dir);
      await git(['read-tree', '--empty'], dir);
    }
    await git(['clean', '--quiet', '-fdx'], dir);
  }

  private async applyChange(
    folder: string,
    subject: BackendAccount | { deleting: string },
    mutate: Mutation,
  ): Promise<void> {
    const file = path.join(folder, ACCOUNTS_FILE);
    const text = await fs.readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return '';
      throw error;
    });
    const document = parseDocument(text);
    if (document.errors.length)
      throw new UnavailableError(
        `${ACCOUNTS_FILE} in the accounts repository is not valid YAML: ${document.errors[0]!.message}`,
        { code: 'git_accounts_file_invalid' },
      );
    if (!isMap(document.contents) && document.contents !== null)
      throw new UnavailableError(`${ACCOUNTS_FILE} in the accounts repository is not a YAML mapping`, {
        code: 'git_accounts_file_invalid',
      });
    const current = document.getIn(['kubernetes', 'accounts']);
    const accounts = isSeq(current) ? (current.toJSON() as Array<Record<string, unknown>>) : [];
    // Other keys and comments of the file are kept; only the accounts list is rewritten.
    document.setIn(['kubernetes', 'enabled'], true);
    document.setIn(['kubernetes', 'accounts'], document.createNode(mutate(accounts)));
    await fs.mkdir(path.join(folder, 'kubeconfigs'), { recursive: true });
    await fs.writeFile(file, document.toString());
    if ('deleting' in subject) await fs.rm(path.join(folder, kubeconfigPath(subject.deleting)), { force: true });
    else
      await fs.writeFile(path.join(folder, kubeconfigPath(subject.definition.name)), subject.kubeconfig, {
        mode: 0o600,
      });
  }
}

/** Refuses account writes when no back end is configured. */
export class NoBackend implements AccountBackend {
  readonly kind = 'clouddriver';
  private refuse(): never {
    throw new UnavailableError('accounts.backend is not configured (clouddriver or git); accounts cannot be written', {
      code: 'accounts_backend_missing',
    });
  }
  create(): Promise<BackendWrite> {
    this.refuse();
  }
  update(): Promise<BackendWrite> {
    this.refuse();
  }
  delete(): Promise<BackendWrite> {
    this.refuse();
  }
}
