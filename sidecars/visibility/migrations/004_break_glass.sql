-- A self-approval allowed by the audited break-glass path is marked on the decision.
ALTER TABLE decisions ADD COLUMN break_glass boolean NOT NULL DEFAULT false;
