-- Accounts sapor manages (no credential is stored here: kubeconfigs live in Clouddriver or git), and every
-- version of each, deletions included. `credentials` holds what must be revoked when the account goes:
-- the serials of certificates the tunnel controller issued for it.
CREATE TABLE accounts (
  name text PRIMARY KEY,
  version integer NOT NULL,
  backend text NOT NULL CHECK (backend IN ('clouddriver', 'git')),
  definition jsonb NOT NULL,
  credentials jsonb NOT NULL DEFAULT '{}',
  revision text,
  created_at timestamptz NOT NULL DEFAULT now(),
  created_by text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  updated_by text NOT NULL
);

CREATE TABLE account_history (
  name text NOT NULL,
  version integer NOT NULL,
  action text NOT NULL CHECK (action IN ('created', 'updated', 'deleted')),
  backend text NOT NULL CHECK (backend IN ('clouddriver', 'git')),
  actor text NOT NULL,
  occurred_at timestamptz NOT NULL DEFAULT now(),
  definition jsonb,
  revision text,
  PRIMARY KEY (name, version)
);

-- A short lease per account while one request changes it, so replicas never write one account at once
-- (the back end call is outside any transaction); an expired lease (a replica that died) is taken over.
CREATE TABLE account_locks (
  name text PRIMARY KEY,
  holder text NOT NULL,
  expires_at timestamptz NOT NULL
);
