-- The decisions also live on the gate row, so a status poll (the hottest query: Orca polls every open
-- gate every 15 s) reads one row by primary key and nothing else. The decisions table stays the
-- authority for "one person counts once" (its primary key).
ALTER TABLE approvals ADD COLUMN decisions_json jsonb NOT NULL DEFAULT '[]';

UPDATE approvals a SET decisions_json = d.list
  FROM (SELECT approval_id,
               json_agg(json_build_object('user_name', user_name, 'action', action, 'comment', comment, 'groups', groups,
                        'evidence_digest', evidence_digest, 'decided_at', decided_at) ORDER BY decided_at, user_name)::jsonb AS list
          FROM decisions GROUP BY approval_id) d
 WHERE d.approval_id = a.id;
