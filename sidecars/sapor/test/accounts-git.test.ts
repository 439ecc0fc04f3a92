// The git back end with the real git binary and a bare repository: clouddriver-local.yml plus one
// kubeconfig file per account (configserver: paths), one commit per change, the rest of the file kept, and
// pushes that lose a race with another writer (a pre-receive hook that pushes first) retried on a fresh read.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunningService } from '@isd/kit';
import { freePort, startKubeApiServer, type KubeApiServer } from '@isd/test-support';
import { parse } from 'yaml';
import type { SaporConfig } from '../src';
import { client, startSapor, users } from './helpers';

jest.setTimeout(120_000);

let apiServer: KubeApiServer;
let kubeconfig: string;
let work: string;
let bare: string;
let sapor: RunningService<SaporConfig>;
let api: ReturnType<typeof client>;

const permissions = { READ: ['dev'], WRITE: ['admin'] };
const SEEDED = `# Accounts of the config server; hand-written comments stay.
server:
  port: 7002
kubernetes:
  enabled: true
  accounts:
    - name: legacy
      kubeconfigFile: /opt/kube/legacy.yml
`;

function git(args: string[], cwd: string): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@t',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@t',
    },
  }).trim();
}

/** A fresh clone of the bare repository's main. */
function cloneMain(): string {
  const dir = fs.mkdtempSync(path.join(work, 'read-'));
  git(['clone', '--quiet', '--branch', 'main', bare, dir], work);
  return dir;
}

function accountsFile(dir: string): { text: string; accounts: Array<Record<string, unknown>> } {
  const text = fs.readFileSync(path.join(dir, 'config', 'clouddriver-local.yml'), 'utf8');
  return {
    text,
    accounts: (parse(text) as { kubernetes: { accounts: Array<Record<string, unknown>> } }).kubernetes.accounts,
  };
}

/**
 * Makes the bare repository's next `races` pushes lose: while each runs its pre-receive hook, another clone
 * pushes a commit first, so the ref moved and the push is rejected.
 */
function raceNextPushes(races: number): void {
  const other = fs.mkdtempSync(path.join(work, 'other-'));
  git(['clone', '--quiet', '--branch', 'main', bare, other], work);
  fs.writeFileSync(path.join(work, 'races-left'), String(races));
  // The other writer's own push runs this hook too (local transport passes the environment): it must not race.
  const hook = `#!/bin/sh
[ -z "$ISD_OTHER_WRITER" ] || exit 0
left=$(cat "${work}/races-left")
[ "$left" -gt 0 ] || exit 0
echo $((left - 1)) > "${work}/races-left"
for name in $(env | sed -n 's/^\\(GIT_[A-Z_]*\\)=.*/\\1/p'); do unset "$name"; done
export ISD_OTHER_WRITER=1
cd "${other}" && git pull --quiet --rebase origin main && echo "change $left" >> other-writer.txt && git add other-writer.txt && git -c user.name=other -c user.email=o@o commit --quiet -m "concurrent change $left" && git push --quiet origin HEAD:main
exit 0
`;
  fs.writeFileSync(path.join(bare, 'hooks', 'pre-receive'), hook, { mode: 0o755 });
}

beforeAll(async () => {
  apiServer = await startKubeApiServer();
  kubeconfig = fs.readFileSync(apiServer.kubeconfigPath, 'utf8');
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'isd-accounts-git-'));
  bare = path.join(work, 'accounts.git');
  git(['init', '--quiet', '--bare', '--initial-branch', 'main', bare], work);
  const seed = path.join(work, 'seed');
  git(['clone', '--quiet', bare, seed], work);
  fs.mkdirSync(path.join(seed, 'config'));
  fs.writeFileSync(path.join(seed, 'config', 'clouddriver-local.yml'), SEEDED);
  git(['add', '.'], seed);
  git(['commit', '--quiet', '-m', 'seed'], seed);
  git(['push', '--quiet', 'origin', 'HEAD:main'], seed);
  sapor = await startSapor({
    accounts: {
      backend: 'git',
      git: { url: bare, directory: 'config', checkoutDir: path.join(work, 'sapor-checkout'), pushAttempts: 3 },
    },
  });
  api = client(sapor.url);
}, 180_000);

afterAll(async () => {
  await sapor?.stop();
  await apiServer?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('git back end', () => {
  it('adds the account and its kubeconfig file in one commit, keeping the rest of clouddriver-local.yml', async () => {
    const before = Number(git(['rev-list', '--count', 'main'], bare));
    const created = await api.asUser(users.admin, 'POST', '/api/v1/accounts', {
      name: 'staging',
      kubeconfig,
      namespaces: ['default'],
      permissions,
    });
    expect(created.status).toBe(201);
    expect(created.body.account).toMatchObject({ name: 'staging', backend: 'git', version: 1 });
    expect(created.body.account.revision).toBe(git(['rev-parse', 'main'], bare));
    expect(Number(git(['rev-list', '--count', 'main'], bare))).toBe(before + 1);
    expect(git(['show', '--name-only', '--format=%s', 'main'], bare).split('\n').filter(Boolean)).toEqual([
      `Add Kubernetes account staging (by ${users.admin})`,
      'config/clouddriver-local.yml',
      'config/kubeconfigs/staging.yml',
    ]);

    const dir = cloneMain();
    const { text, accounts } = accountsFile(dir);
    expect(text).toContain('# Accounts of the config server; hand-written comments stay.');
    expect((parse(text) as { server: unknown }).server).toEqual({ port: 7002 });
    expect(accounts).toEqual([
      { name: 'legacy', kubeconfigFile: '/opt/kube/legacy.yml' },
      {
        name: 'staging',
        environment: 'staging',
        namespaces: ['default'],
        permissions,
        kubeconfigFile: 'configserver:kubeconfigs/staging.yml',
      },
    ]);
    expect(fs.readFileSync(path.join(dir, 'config', 'kubeconfigs', 'staging.yml'), 'utf8')).toBe(kubeconfig);
  });

  it('an account the file already lists (not made here) is a 409, and nothing is committed', async () => {
    const head = git(['rev-parse', 'main'], bare);
    const response = await api.asUser(users.admin, 'POST', '/api/v1/accounts', {
      name: 'legacy',
      kubeconfig,
      permissions,
    });
    expect(response.status).toBe(409);
    expect(response.body.detail).toContain('legacy');
    expect(git(['rev-parse', 'main'], bare)).toBe(head);
  });

  it('a push that loses to a concurrent writer is re-applied on top of the other change', async () => {
    raceNextPushes(1);
    const created = await api.asUser(users.admin, 'POST', '/api/v1/accounts', {
      name: 'racer',
      kubeconfig,
      permissions,
    });
    expect(created.status).toBe(201);
    const log = git(['log', '--format=%s', '-3', 'main'], bare).split('\n');
    expect(log.slice(0, 2)).toEqual([`Add Kubernetes account racer (by ${users.admin})`, 'concurrent change 1']);
    const dir = cloneMain();
    expect(fs.readFileSync(path.join(dir, 'other-writer.txt'), 'utf8')).toBe('change 1\n');
    expect(accountsFile(dir).accounts.map((entry) => entry.name)).toEqual(['legacy', 'staging', 'racer']);
  });

  it('a branch that keeps moving is a 409 after accounts.git.pushAttempts, and the account is not recorded', async () => {
    raceNextPushes(3);
    const response = await api.asUser(users.admin, 'POST', '/api/v1/accounts', {
      name: 'loser',
      kubeconfig,
      permissions,
    });
    expect(response.status).toBe(409);
    expect(response.body.type).toBe('urn:isd:problem:git_push_conflict');
    // Each of the three attempts lost to another writer's commit.
    expect(git(['log', '--format=%s', '-3', 'main'], bare).split('\n')).toEqual([
      'concurrent change 1',
      'concurrent change 2',
      'concurrent change 3',
    ]);
    expect((await api.asUser(users.admin, 'GET', '/api/v1/accounts/loser')).status).toBe(404);
    expect(accountsFile(cloneMain()).accounts.map((entry) => entry.name)).not.toContain('loser');
    raceNextPushes(0);
  });

  it('replaces and deletes with one commit each; the kubeconfig file goes with the account', async () => {
    const changedConfig = kubeconfig.replace('"namespace": "default"', '"namespace": "kube-system"');
    const replaced = await api.asUser(users.admin, 'PUT', '/api/v1/accounts/staging', {
      kubeconfig: changedConfig,
      omitNamespaces: ['kube-system'],
      permissions,
    });
    expect(replaced.status).toBe(200);
    let dir = cloneMain();
    expect(accountsFile(dir).accounts.find((entry) => entry.name === 'staging')).toMatchObject({
      omitNamespaces: ['kube-system'],
    });
    expect(fs.readFileSync(path.join(dir, 'config', 'kubeconfigs', 'staging.yml'), 'utf8')).toBe(changedConfig);

    const before = Number(git(['rev-list', '--count', 'main'], bare));
    const deleted = await api.asUser(users.admin, 'DELETE', '/api/v1/accounts/staging');
    expect(deleted.status).toBe(200);
    expect(deleted.body.revision).toBe(git(['rev-parse', 'main'], bare));
    expect(Number(git(['rev-list', '--count', 'main'], bare))).toBe(before + 1);
    dir = cloneMain();
    expect(accountsFile(dir).accounts.map((entry) => entry.name)).toEqual(['legacy', 'racer']);
    expect(fs.existsSync(path.join(dir, 'config', 'kubeconfigs', 'staging.yml'))).toBe(false);

    const history = await api.asUser(users.admin, 'GET', '/api/v1/accounts/staging/history');
    expect(history.body.history.map((entry: { action: string; revision: string }) => entry.action)).toEqual([
      'deleted',
      'updated',
      'created',
    ]);
    expect(history.body.history[0].revision).toBe(deleted.body.revision);
  });

  it('an empty repository gets its branch from the first account', async () => {
    const empty = path.join(work, 'empty.git');
    git(['init', '--quiet', '--bare', '--initial-branch', 'main', empty], work);
    const other = await startSapor({
      accounts: { backend: 'git', git: { url: empty, checkoutDir: path.join(work, 'empty-checkout') } },
    });
    try {
      const created = await client(other.url).asUser(users.admin, 'POST', '/api/v1/accounts', {
        name: 'first',
        kubeconfig,
        permissions,
      });
      expect(created.status).toBe(201);
      const text = git(['show', 'main:clouddriver-local.yml'], empty);
      expect(parse(text)).toEqual({
        kubernetes: {
          enabled: true,
          accounts: [
            { name: 'first', environment: 'first', permissions, kubeconfigFile: 'configserver:kubeconfigs/first.yml' },
          ],
        },
      });
      expect(git(['rev-list', '--count', 'main'], empty)).toBe('1');
    } finally {
      await other.stop();
    }
  });

  it('an unreachable repository is a 503 without the token of its URL, and nothing is recorded', async () => {
    const port = await freePort();
    const other = await startSapor({
      accounts: {
        backend: 'git',
        git: {
          url: `https://deployer:s3cret-token@127.0.0.1:${port}/accounts.git`,
          checkoutDir: path.join(work, 'missing-checkout'),
        },
      },
    });
    try {
      const response = await client(other.url).asUser(users.admin, 'POST', '/api/v1/accounts', {
        name: 'nowhere',
        kubeconfig,
        permissions,
      });
      expect(response.status).toBe(503);
      expect(response.body.detail).toContain('accounts repository');
      expect(JSON.stringify(response.body)).not.toContain('s3cret-token');
      expect((await client(other.url).asUser(users.admin, 'GET', '/api/v1/accounts/nowhere')).status).toBe(404);
    } finally {
      await other.stop();
    }
  });
});
