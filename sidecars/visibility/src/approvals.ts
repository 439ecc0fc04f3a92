// The approval gate's behaviour: create (idempotent), decide (authorized against the snapshot, one
// compare-and-set transaction), cancel, expire, evidence, automatic decision and notifications.
import { randomUUID } from 'node:crypto';
import type { Caller, JobQueue, Logger } from '@isd/kit';
import {
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
  applicationScope,
  canAccessApplication,
} from '@isd/kit';
import type { CreateApprovalRequest, DecisionRequest } from './api/schemas';
import type { VisibilityConfig } from './config';
import { gatherEvidence } from './connectors/gather';
import { appendApprovalAudit, evaluatePolicy, type PolicyInput } from './connectors/sapor';
import { digestOf } from './domain/digest';
import type { Actor, Approval, ApprovalStatus } from './domain/model';
import { approverGroupsOf, checkDecision, evaluateQuorum } from './domain/quorum';
import { sendEmail } from './notifications/email';
import { notificationMessage, type NotificationEvent } from './notifications/messages';
import { sendSlack } from './notifications/slack';
import type { ApprovalFilter, ApprovalStore } from './store/approval-store';

/** Job kinds the gate uses. */
export const jobNames = {
  timeout: 'approval-timeout',
  evidence: 'approval-evidence',
  notify: 'approval-notify',
  audit: 'approval-audit',
} as const;

/** Data of a notification job. */
export interface NotifyJob {
  approvalId: string;
  event: NotificationEvent;
  channel: 'slack' | 'email';
}

/** Digest of the evidence before it is gathered: decisions taken then are bound to "nothing shown". */
export const PENDING_EVIDENCE_DIGEST = digestOf({ pending: true });

const ORCA_ACTOR: Actor = { name: 'orca', authMethod: 'service-token', channel: 'orca' };
const TIMER_ACTOR: Actor = { name: 'deadline', authMethod: 'system', channel: 'timer' };

/** The dependencies of {@link ApprovalGate}. */
export interface ApprovalGateOptions {
  config: VisibilityConfig;
  store: ApprovalStore;
  jobs: JobQueue;
  logger: Logger;
  now?: () => Date;
  /** Issues a single-use e-mail decision link token (notifications.email.decisionLinkBase). */
  issueEmailLink?: (approvalId: string, recipient: string) => Promise<string>;
}

/** The approval gate's use cases; routes and job handlers call these. */
export class ApprovalGate {
  private readonly config: VisibilityConfig;
  private readonly store: ApprovalStore;
  private readonly jobs: JobQueue;
  private readonly logger: Logger;
  private readonly now: () => Date;
  private readonly issueEmailLink: ApprovalGateOptions['issueEmailLink'];

  constructor(options: ApprovalGateOptions) {
    this.issueEmailLink = options.issueEmailLink;
    this.config = options.config;
    this.store = options.store;
    this.jobs = options.jobs;
    this.logger = options.logger.child({ module: 'approvals' });
    this.now = options.now ?? (() => new Date());
  }

  /** Registers the job handlers on the queue. */
  async defineJobs(): Promise<void> {
    const notifications = this.config.notifications;
    await this.jobs.define<{ approvalId: string }>(jobNames.timeout, (job) => this.expire(job.data.approvalId), {
      retryLimit: 20,
      retryDelaySeconds: 5,
      expireInSeconds: 60,
    });
    await this.jobs.define<{ approvalId: string }>(jobNames.evidence, (job) => this.gather(job.data.approvalId), {
      retryLimit: 3,
      retryDelaySeconds: 5,
      expireInSeconds: Math.ceil((this.config.connectors.timeoutMs + (this.config.sapor?.timeoutMs ?? 0)) / 1000) + 60,
    });
    await this.jobs.define<NotifyJob>(jobNames.notify, (job) => this.notify(job.data), {
      retryLimit: notifications.retryLimit,
      retryDelaySeconds: notifications.retryDelaySeconds,
      retryBackoff: true,
      expireInSeconds: Math.ceil(notifications.timeoutMs / 1000) + 60,
    });
    const sapor = this.config.sapor;
    if (sapor)
      await this.jobs.define<{ approvalId: string }>(
        jobNames.audit,
        async (job) => appendApprovalAudit(sapor, await this.load(job.data.approvalId)),
        {
          retryLimit: 50,
          retryDelaySeconds: 5,
          retryBackoff: true,
          expireInSeconds: Math.ceil(sapor.timeoutMs / 1000) + 60,
        },
      );
  }

  /** Creates the gate for (executionId, stageId, attempt), or returns the one Orca already created. */
  async create(request: CreateApprovalRequest): Promise<{ approval: Approval; created: boolean }> {
    const timeoutMs = request.timeoutMs ?? this.config.approvals.defaultTimeoutMs;
    const { minTimeoutMs, maxTimeoutMs } = this.config.approvals;
    if (timeoutMs < minTimeoutMs || timeoutMs > maxTimeoutMs) {
      throw new InputError(`timeoutMs must be between ${minTimeoutMs} and ${maxTimeoutMs}, not ${timeoutMs}`, {
        code: 'timeout_out_of_range',
        issues: [{ path: 'body.timeoutMs', message: `between ${minTimeoutMs} and ${maxTimeoutMs}` }],
      });
    }
    if (request.autoDecision && !this.config.sapor) {
      throw new InputError(
        'autoDecision needs the policy engine, and sapor is not configured for this visibility service (config `sapor.url`)',
        {
          code: 'sapor_not_configured',
          issues: [{ path: 'body.autoDecision', message: 'sapor is not configured' }],
        },
      );
    }
    (request.evidence ?? []).forEach((evidence, index) => {
      if (evidence.connector === 'jira' && !evidence.issues && !evidence.jql) {
        throw new InputError(`evidence.${index}: the jira connector needs issues or jql`, {
          issues: [{ path: `body.evidence.${index}.issues`, message: 'issues or jql is required' }],
        });
      }
    });
    const createdAt = this.now();
    const attempt = request.attempt ?? (await this.attemptFor(request.executionId, request.stageId, createdAt));
    const { approval, created } = await this.store.createOrGet(
      {
        createdAt,
        id: randomUUID(),
        executionId: request.executionId,
        stageId: request.stageId,
        attempt,
        application: request.application,
        pipelineName: request.pipelineName ?? null,
        pipelineId: request.pipelineId ?? null,
        triggeredBy: request.triggeredBy ?? null,
        rules: {
          groups: request.approverGroups.map((group) => ({ name: group.name, required: group.required ?? 1 })),
          allowSelfApproval: request.allowSelfApproval ?? false,
        },
        instructions: request.instructions ?? '',
        evidenceRequest: request.evidence ?? [],
        autoDecision: request.autoDecision ?? null,
        deadline: new Date(createdAt.getTime() + timeoutMs),
      },
      ORCA_ACTOR,
    );
    if (created) {
      // A crash between the commit above and this leaves jobs_queued false; the reconcile sweep finishes it.
      await this.queueJobs(approval).catch((error: unknown) =>
        this.logger.warn({ err: error, approvalId: approval.id }, 'queueing gate jobs failed; the sweep retries'),
      );
    }
    return { approval, created };
  }

  /**
   * Which attempt a create without an explicit one addresses. Orca re-POSTs a create only within its
   * create task's timeout (5 min), so a create for a stage whose latest gate is closed and older than
   * `approvals.retryWindowMs` is a restarted stage: it gets a fresh gate, never the old outcome.
   */
  private async attemptFor(executionId: string, stageId: string, now: Date): Promise<number> {
    const latest = await this.store.latestFor(executionId, stageId);
    if (!latest) return 1;
    const retry =
      latest.status === 'activated' || now.getTime() - latest.createdAt.getTime() < this.config.approvals.retryWindowMs;
    return retry ? latest.attempt : latest.attempt + 1;
  }

  /** Queues the timer, the evidence job and the activation notifications and reminders (idempotent per key). */
  async queueJobs(approval: Approval): Promise<void> {
    await this.jobs.send(
      jobNames.timeout,
      { approvalId: approval.id },
      { startAfter: approval.deadline, key: approval.id },
    );
    if (approval.evidenceRequest.length || approval.autoDecision) {
      await this.jobs.send(jobNames.evidence, { approvalId: approval.id }, { key: approval.id });
    }
    for (const channel of this.notificationChannels()) {
      await this.jobs.send<NotifyJob>(
        jobNames.notify,
        { approvalId: approval.id, event: 'activated', channel },
        { key: `${approval.id}:activated:${channel}` },
      );
      for (const beforeMs of this.config.notifications.reminderBeforeDeadlineMs) {
        const at = new Date(approval.deadline.getTime() - beforeMs);
        if (at.getTime() <= this.now().getTime()) continue;
        await this.jobs.send<NotifyJob>(
          jobNames.notify,
          { approvalId: approval.id, event: 'reminder', channel },
          { startAfter: at, key: `${approval.id}:reminder:${beforeMs}:${channel}` },
        );
      }
    }
    await this.store.markJobsQueued(approval.id);
  }

  /** Finishes what a crash between create's commit and its job queueing left undone. */
  async reconcile(): Promise<number> {
    const pending = await this.store.withJobsPending(5_000, 500);
    for (const approval of pending) await this.queueJobs(approval);
    const closed = await this.store.withOutcomePending(5_000, 500);
    for (const id of closed) await this.queueOutcome(id);
    return pending.length + closed.length;
  }

  /** The gate, or 404. */
  /** The gate, for the service itself (no caller to check). */
  private async load(id: string): Promise<Approval> {
    const approval = await this.store.get(id);
    if (!approval) throw new NotFoundError(`no approval ${id}`, { code: 'approval_not_found' });
    return approval;
  }

  /** The gate, when the caller may see it; otherwise the same 404 as a gate that does not exist. */
  async get(id: string, caller: Caller): Promise<Approval> {
    const approval = await this.store.get(id);
    if (!approval || !mayView(approval, caller))
      throw new NotFoundError(`no approval ${id}`, { code: 'approval_not_found' });
    return approval;
  }

  /** Lists gates; `mine` narrows to what this user may still decide. */
  async list(
    caller: Caller,
    filter: Omit<ApprovalFilter, 'groupsAnyOf' | 'undecidedBy' | 'deadlineAfter' | 'visibleTo'> & { mine: boolean },
  ): Promise<Approval[]> {
    if (!filter.mine) {
      const scope = applicationScope(caller);
      return this.store.list({
        ...filter,
        ...(scope.all ? {} : { visibleTo: { scope, groups: caller.kind === 'user' ? caller.roles : [] } }),
      });
    }
    if (caller.kind !== 'user')
      throw new InputError('mine=true needs a user (a request through Gate)', {
        issues: [{ path: 'query.mine', message: 'only for users' }],
      });
    // Only open gates can still be decided: a closed status filter leaves the inbox empty.
    if (caller.roles.length === 0 || (filter.status && filter.status !== 'activated')) return [];
    // The inbox leaves out gates past their deadline: they can no longer be decided, even before the timer runs.
    return this.store.list({
      ...filter,
      status: 'activated',
      groupsAnyOf: caller.roles,
      undecidedBy: caller.user,
      deadlineAfter: this.now(),
    });
  }

  /**
   * Records a user's decision. One transaction holds the gate's row lock: deadline, authorization
   * against the snapshot, replay, evidence digest, then the decision and at most one terminal transition.
   */
  async decide(
    id: string,
    caller: Caller,
    request: DecisionRequest,
    channel: 'api' | 'email' = 'api',
  ): Promise<Approval> {
    if (caller.kind !== 'user')
      throw new NotAllowedError('only people decide on approvals; the service token cannot', {
        code: 'service_cannot_decide',
      });
    // The same rules for every channel; only the audit says how the person was proven and where they acted.
    const actor: Actor =
      caller.via === 'slack'
        ? { name: caller.user, authMethod: 'slack-signature', channel: 'slack' }
        : { name: caller.user, authMethod: 'gate-user', channel };
    const outcome = await this.store.withLock(id, async (approval, transaction) => {
      if (!approval || !mayView(approval, caller))
        throw new NotFoundError(`no approval ${id}`, { code: 'approval_not_found' });
      if (approval.status !== 'activated') return { kind: 'closed' as const, status: approval.status };
      const now = this.now();
      if (now.getTime() >= approval.deadline.getTime()) {
        const moved = await transaction.transition(approval.version, 'expired', {
          event: 'expired',
          actor: TIMER_ACTOR,
          details: { deadline: approval.deadline.toISOString(), refusedDecisionBy: caller.user },
        });
        return { kind: 'expired' as const, moved };
      }
      const refusal = checkDecision(
        approval.rules,
        approval.triggeredBy,
        approval.decisions,
        caller.user,
        caller.roles,
        request.action,
      );
      if (refusal?.reason === 'already_decided') throw new ConflictError(refusal.message, { code: 'already_decided' });
      // Break-glass lets a triggering user approve their own execution when they hold a break-glass
      // role and give a reason; it is marked on the decision and the audit row. It widens nothing else.
      const breakGlass = refusal?.reason === 'self_approval' && request.breakGlass;
      if (breakGlass && !caller.roles.some((role) => this.config.approvals.breakGlassRoles.includes(role))) {
        throw new NotAllowedError(
          `break-glass self-approval needs one of the roles ${this.config.approvals.breakGlassRoles.join(', ') || '(none configured)'}`,
          { code: 'break_glass_not_allowed' },
        );
      }
      if (refusal && !breakGlass) throw new NotAllowedError(refusal.message, { code: refusal.reason });
      const shownDigest = approval.evidenceDigest ?? PENDING_EVIDENCE_DIGEST;
      if (request.evidenceDigest && request.evidenceDigest !== shownDigest) {
        throw new ConflictError('the evidence changed since it was shown; reload the gate and decide again', {
          code: 'evidence_changed',
        });
      }
      const decision = {
        user: caller.user,
        action: request.action,
        comment: request.comment.trim(),
        groups: approverGroupsOf(approval.rules, caller.roles),
        evidenceDigest: shownDigest,
        decidedAt: now,
        breakGlass,
      };
      await transaction.addDecision(decision);
      const quorum = evaluateQuorum(approval.rules, [...approval.decisions, decision]);
      const entry = {
        event: breakGlass ? 'break-glass-approval' : request.action === 'approve' ? 'approval' : 'rejection',
        actor,
        comment: decision.comment,
        evidenceDigest: shownDigest,
        details: { groups: decision.groups, progress: quorum.groups, ...(breakGlass ? { breakGlass: true } : {}) },
      };
      const to: ApprovalStatus | null = quorum.rejectedBy ? 'rejected' : quorum.met ? 'approved' : null;
      const changed = to
        ? await transaction.transition(approval.version, to, entry)
        : await transaction.touch(approval.version, entry);
      // The row lock makes a lost compare-and-set impossible here; if it happens, roll back loudly.
      if (!changed)
        throw new ConflictError('the gate changed while deciding; try again', { code: 'concurrent_change' });
      return { kind: 'decided' as const, closed: to !== null };
    });
    if (outcome.kind === 'closed') {
      throw new ConflictError(`the gate is already ${outcome.status}; decisions are closed`, {
        code: `gate_${outcome.status}`,
      });
    }
    if (outcome.kind === 'expired') {
      if (outcome.moved) await this.queueOutcome(id);
      throw new ConflictError('the gate expired before this decision; decisions are closed', { code: 'gate_expired' });
    }
    if (outcome.closed) await this.queueOutcome(id);
    return this.load(id);
  }

  /** Orca's cancel: closes an open gate; a second call, or one after the gate finished, changes nothing. */
  async cancel(id: string): Promise<Approval> {
    const moved = await this.store.withLock(id, async (approval, transaction) => {
      if (!approval) throw new NotFoundError(`no approval ${id}`, { code: 'approval_not_found' });
      if (approval.status !== 'activated') return false;
      return transaction.transition(approval.version, 'canceled', { event: 'canceled', actor: ORCA_ACTOR });
    });
    if (moved) await this.queueOutcome(id);
    return this.load(id);
  }

  /** The timeout job: expires the gate if it is still open at its deadline. */
  async expire(id: string): Promise<void> {
    const moved = await this.store.withLock(id, async (approval, transaction) => {
      if (!approval || approval.status !== 'activated') return false;
      if (approval.deadline.getTime() > this.now().getTime() + 1_000) {
        // A timer that fired early (clock skew between replicas): run again later.
        throw new Error(`approval ${id} is not due until ${approval.deadline.toISOString()}`);
      }
      return transaction.transition(approval.version, 'expired', {
        event: 'expired',
        actor: TIMER_ACTOR,
        details: { deadline: approval.deadline.toISOString() },
      });
    });
    if (moved) {
      this.logger.info({ approvalId: id }, 'approval expired');
      await this.queueOutcome(id);
    }
  }

  /** The evidence job: runs the connectors, stores the snapshot and its digest, then the policy if any. */
  async gather(id: string): Promise<void> {
    const approval = await this.store.get(id);
    if (!approval || approval.status !== 'activated') return;
    const cards =
      approval.evidence ?? (await gatherEvidence(approval.evidenceRequest, this.config.connectors, this.now));
    const digest = digestOf(cards);
    if (!approval.evidence) {
      await this.store.withLock(id, async (current, transaction) => {
        if (!current || current.evidence) return;
        await transaction.setEvidence(cards, digest);
        await transaction.audit({
          event: 'evidence',
          actor: { name: 'connectors', authMethod: 'system', channel: 'timer' },
          evidenceDigest: digest,
          details: {
            cards: cards.map((card) => ({ connector: card.connector, status: card.status, error: card.error ?? null })),
          },
        });
      });
    }
    if (approval.autoDecision && this.config.sapor && !approval.autoResult)
      await this.decideByPolicy(id, cards, digest);
  }

  private async decideByPolicy(id: string, cards: NonNullable<Approval['evidence']>, digest: string): Promise<void> {
    const approval = await this.load(id);
    const auto = approval.autoDecision;
    const sapor = this.config.sapor;
    if (!auto || !sapor || approval.status !== 'activated') return;
    const evidence: PolicyInput['evidence'] = {};
    for (const card of cards)
      (evidence[card.connector] ??= []).push({
        status: card.status,
        summary: card.summary,
        error: card.error ?? null,
        ...card.data,
      });
    const input: PolicyInput = {
      approval: {
        id: approval.id,
        application: approval.application,
        pipelineName: approval.pipelineName,
        executionId: approval.executionId,
        stageId: approval.stageId,
        triggeredBy: approval.triggeredBy,
      },
      evidence,
    };
    const result = await evaluatePolicy(sapor, auto.policyPath, input, this.now);
    const actor: Actor = { name: `policy:${auto.policyPath}`, authMethod: 'policy', channel: 'policy' };
    const to: ApprovalStatus | null =
      auto.mode === 'approve' && result.outcome === 'allow'
        ? 'approved'
        : auto.mode === 'reject' && result.outcome === 'deny'
          ? 'rejected'
          : null;
    const moved = await this.store.withLock(id, async (current, transaction) => {
      if (!current || current.autoResult) return false;
      await transaction.setAutoResult(result);
      const entry = {
        event: 'policy',
        actor,
        evidenceDigest: digest,
        comment: result.messages.join('; ') || null,
        details: { decisionId: result.decisionId, outcome: result.outcome, mode: auto.mode, messages: result.messages },
      };
      if (current.status !== 'activated' || !to) {
        await transaction.audit(entry);
        return false;
      }
      // setAutoResult bumped the version once.
      return transaction.transition(current.version + 1, to, entry);
    });
    if (moved) await this.queueOutcome(id);
  }

  /** Queues the outcome notifications (keyed: once per gate and channel); a failure is left to the sweep. */
  private async queueOutcome(id: string): Promise<void> {
    try {
      // The closed gate goes to the one audit trail in sapor (retried by the queue while sapor is down).
      if (this.config.sapor) await this.jobs.send(jobNames.audit, { approvalId: id }, { key: `${id}:audit` });
      for (const channel of this.notificationChannels()) {
        await this.jobs.send<NotifyJob>(
          jobNames.notify,
          { approvalId: id, event: 'outcome', channel },
          { key: `${id}:outcome:${channel}` },
        );
      }
      await this.store.markOutcomeQueued(id);
    } catch (error) {
      this.logger.warn({ err: error, approvalId: id }, 'queueing the outcome notification failed; the sweep retries');
    }
  }

  private notificationChannels(): Array<NotifyJob['channel']> {
    const { slack, email } = this.config.notifications;
    return [...(slack ? (['slack'] as const) : []), ...(email ? (['email'] as const) : [])];
  }

  /** The notification job: sends one message; throwing makes the queue retry it. */
  async notify(job: NotifyJob): Promise<void> {
    const approval = await this.store.get(job.approvalId);
    if (!approval) return;
    // A reminder or activation message for a gate that is already closed would mislead.
    if (job.event !== 'outcome' && approval.status !== 'activated') return;
    const message = notificationMessage(
      approval,
      job.event,
      this.links(approval).deck ?? this.links(approval).self ?? null,
    );
    const { slack, email, timeoutMs } = this.config.notifications;
    if (job.channel === 'slack' && slack) {
      const saved = job.event === 'activated' ? null : await this.store.slackMessage(approval.id);
      // A reminder replies in the gate message's thread without buttons: the buttons stay on the one
      // message that is updated when the gate closes, so no stale copy offers a decision.
      const posted =
        job.event === 'reminder' && saved
          ? await sendSlack(slack, { ...message, decide: undefined }, null, timeoutMs, saved)
          : await sendSlack(slack, message, job.event === 'outcome' ? saved : null, timeoutMs);
      if (posted && job.event === 'activated')
        await this.store.saveSlackMessage(approval.id, posted.channel, posted.ts);
    } else if (job.channel === 'email' && email) {
      const linkBase = email.decisionLinkBase?.replace(/\/$/, '');
      if (linkBase && this.issueEmailLink && job.event !== 'outcome') {
        // One mail per recipient: each link is single use, so a shared one would serve only the first reader.
        for (const to of email.to) {
          const token = await this.issueEmailLink(approval.id, to);
          await sendEmail(email, message, timeoutMs, {
            to,
            decisionLink: `${linkBase}/api/v1/email-decisions/${token}`,
          });
        }
      } else {
        await sendEmail(email, message, timeoutMs);
      }
    }
  }

  /**
   * After a decision that left the gate open (N-of-M), the Slack message shows the new progress; a
   * closed gate's message is updated by its outcome job. A failure here only leaves the old progress.
   */
  async refreshSlack(id: string): Promise<void> {
    const slack = this.config.notifications.slack;
    const approval = await this.store.get(id);
    if (!slack || !approval || approval.status !== 'activated') return;
    const previous = await this.store.slackMessage(id);
    if (!previous) return;
    const link = this.links(approval).deck ?? this.links(approval).self ?? null;
    await sendSlack(
      slack,
      notificationMessage(approval, 'activated', link),
      previous,
      this.config.notifications.timeoutMs,
    ).catch((error: unknown) => this.logger.warn({ err: error, approvalId: id }, 'updating the Slack message failed'));
  }

  /** The gate as stored, with no caller check: for texts shown where the gate is already announced. */
  peek(id: string): Promise<Approval | null> {
    return this.store.get(id);
  }

  /** Links shown with the gate. */
  links(approval: Approval): Record<string, string> {
    const links: Record<string, string> = {};
    const base = this.config.server.publicUrl?.replace(/\/$/, '') ?? '';
    links.self = `${base}/api/v1/approvals/${approval.id}`;
    const deck = this.config.approvals.deckUrl?.replace(/\/$/, '');
    if (deck) {
      links.deck = `${deck}/#/applications/${encodeURIComponent(approval.application)}/executions/details/${encodeURIComponent(approval.executionId)}`;
    }
    return links;
  }

  /** The audit trail of one gate. */
  auditTrail(id: string) {
    return this.store.auditTrail(id);
  }
}

/**
 * Who may see a gate: Orca, whoever may READ its application (Fiat), and the members of its approver
 * groups (they are asked to decide it, so they see it even without READ on the application).
 */
export function mayView(approval: Approval, caller: Caller): boolean {
  if (canAccessApplication(caller, approval.application, 'READ')) return true;
  return caller.kind === 'user' && approverGroupsOf(approval.rules, caller.roles).length > 0;
}
