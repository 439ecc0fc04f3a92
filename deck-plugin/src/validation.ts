// Pure validation of the gate stages: what the editors show inline (Formik `validate`) and what
// Deck's pipeline validator runs before save. Error messages name the field as the editor labels it.
import type { ICustomValidator, IPipeline, IStage } from '@spinnaker/core';

import { evidenceConnectors, gateStages } from './catalog';
import type { GateKind } from './catalog';
import { isRecord, isSpel, normalizeParameterValues } from './stage-values';

/** Errors keyed like the stage: `parameterValues.<name>` and `stageTimeoutMs`, as Formik expects. */
export type StageErrors = {
  parameterValues?: Record<string, string>;
  stageTimeoutMs?: string;
};

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;

/** Bounds the editors and the validator enforce. */
export const limits = {
  stageTimeoutMs: { min: MINUTE_MS, max: 30 * DAY_MS },
  approvalTimeoutMs: { min: MINUTE_MS, max: 30 * DAY_MS },
  lifetimeMs: { min: MINUTE_MS, max: 7 * DAY_MS },
  intervalMs: { min: MINUTE_MS },
  score: { min: 0, max: 100 },
  /** Autopilot's bounds of `weights.metric` and `weights.log`. */
  weight: { min: 0, max: 1000 },
} as const;

/** ServiceNow change models the ServiceNow stage may create. */
export const serviceNowChangeTypes = ['normal', 'standard', 'emergency'] as const;

/** Automatic decision modes. */
export const autoDecisionModes = ['recommend', 'approve', 'reject'] as const;

type Values = Record<string, unknown>;

/** Validates a gate stage of the given kind; an empty object means valid. */
export function validateGateStage(kind: GateKind, stage: Partial<IStage>): StageErrors {
  // Legacy strings from Deck's generic webhook form are read as their types; what cannot be read is an error.
  const { values, problems } = normalizeParameterValues(kind, stage.parameterValues);
  const parameterErrors: Record<string, string> = { ...problems };
  const errors: StageErrors = {};
  const label = (name: string) => gateStages[kind].parameters.find((p) => p.name === name)?.label ?? name;

  for (const parameter of gateStages[kind].parameters) {
    if (parameter.required && isMissing(values[parameter.name])) {
      parameterErrors[parameter.name] ??= `${parameter.label} is required.`;
    }
  }
  const set = (name: string, message: string) => {
    parameterErrors[name] ??= message;
  };

  const stageTimeoutMs = stage.stageTimeoutMs as unknown;
  if (stageTimeoutMs !== undefined && !isSpel(stageTimeoutMs)) {
    const problem = rangeProblem(stageTimeoutMs, limits.stageTimeoutMs.min, limits.stageTimeoutMs.max, formatDuration);
    if (problem) errors.stageTimeoutMs = `Stage timeout ${problem}`;
  }

  if (kind === 'approval') validateApproval(values, stageTimeoutMs, set, label);
  if (kind === 'verification') validateVerification(values, stageTimeoutMs, set, label);
  if (kind === 'policy') validatePolicy(values, set, label);
  if (kind === 'testVerification') validateTestVerification(values, set, label);
  if (kind === 'terraform') {
    // The plan's approval takes the approval gate's groups and timeout rules.
    validateApproval(values, stageTimeoutMs, set, label);
    validateTerraform(values, set, label);
  }
  if (kind === 'jira') validateJira(values, stageTimeoutMs, set, label);
  if (kind === 'servicenow') validateServiceNow(values, stageTimeoutMs, set, label);
  if (kind === 'awx') validateAnsible(values, stageTimeoutMs, set, label);

  if (Object.keys(parameterErrors).length > 0) errors.parameterValues = parameterErrors;
  return errors;
}

type Setter = (name: string, message: string) => void;
type Labeler = (name: string) => string;

/** Terraform Cloud organization and workspace names (letters, digits, - and _), as visibility checks them. */
const terraformName = /^[A-Za-z0-9_-]{1,90}$/;
const terraformVariableName = /^[A-Za-z_][A-Za-z0-9_-]{0,127}$/;

function validateTerraform(values: Values, set: Setter, label: Labeler): void {
  for (const name of ['workspace', 'organization'] as const) {
    const value = values[name];
    if (value === undefined || value === null || value === '' || isSpel(value)) continue;
    if (typeof value !== 'string' || !terraformName.test(value))
      set(name, `${label(name)} may hold only letters, digits, - and _ (at most 90).`);
  }
  const variables = values['variables'];
  if (variables === undefined || variables === null) return;
  if (!isRecord(variables)) {
    set('variables', `${label('variables')} must be a map of names to values.`);
    return;
  }
  const entries = Object.entries(variables);
  if (entries.length > 100) set('variables', `${label('variables')}: at most 100 variables.`);
  for (const [name, value] of entries) {
    if (!terraformVariableName.test(name))
      set(
        'variables',
        `${label('variables')}: "${name}" is not a variable name (a letter or _, then letters, digits, _ or -).`,
      );
    else if (!['string', 'number', 'boolean'].includes(typeof value))
      set('variables', `${label('variables')}: "${name}" must be a string, number or true/false.`);
  }
}

function validateApproval(values: Values, stageTimeoutMs: unknown, set: Setter, label: Labeler): void {
  const groups = values['approverGroups'];
  if (Array.isArray(groups)) {
    if (groups.length === 0) set('approverGroups', `${label('approverGroups')}: add at least one group.`);
    const names = new Set<string>();
    groups.forEach((group: unknown, index) => {
      const row = `${label('approverGroups')} row ${index + 1}`;
      const name = isRecord(group) ? group['name'] : undefined;
      const required = isRecord(group) ? group['required'] : undefined;
      if (typeof name !== 'string' || name.trim() === '') set('approverGroups', `${row}: group name is required.`);
      else if (names.has(name.trim())) set('approverGroups', `${row}: group "${name.trim()}" is listed twice.`);
      else names.add(name.trim());
      if (!isSpel(required) && (!Number.isInteger(required) || (required as number) < 1)) {
        set('approverGroups', `${row}: required approvals must be a whole number of at least 1.`);
      }
    });
  } else if (groups !== undefined) {
    set('approverGroups', `${label('approverGroups')} must be a list of groups.`);
  }

  const timeoutMs = values['timeoutMs'];
  if (timeoutMs !== undefined && !isSpel(timeoutMs)) {
    const { min, max } = limits.approvalTimeoutMs;
    const problem = rangeProblem(timeoutMs, min, max, formatDuration);
    if (problem) set('timeoutMs', `${label('timeoutMs')} ${problem}`);
    else if (typeof stageTimeoutMs === 'number' && (timeoutMs as number) >= stageTimeoutMs) {
      set(
        'timeoutMs',
        `${label('timeoutMs')} must be shorter than the stage timeout (${formatDuration(stageTimeoutMs)}), so the gate can report "expired".`,
      );
    }
  }

  const evidence = values['evidence'];
  if (Array.isArray(evidence)) {
    evidence.forEach((item: unknown, index) => {
      const connector = isRecord(item) ? item['connector'] : undefined;
      if (typeof connector !== 'string' || connector === '') {
        set('evidence', `${label('evidence')} row ${index + 1}: choose a connector.`);
      } else if (!(evidenceConnectors as readonly string[]).includes(connector)) {
        set('evidence', `${label('evidence')} row ${index + 1}: unknown connector "${connector}".`);
      }
    });
  } else if (evidence !== undefined) {
    set('evidence', `${label('evidence')} must be a list.`);
  }

  const autoDecision = values['autoDecision'];
  if (autoDecision !== undefined && autoDecision !== null) {
    if (!isRecord(autoDecision)) set('autoDecision', `${label('autoDecision')} must be an object.`);
    else {
      const policyPath = autoDecision['policyPath'];
      if (typeof policyPath !== 'string' || policyPath.trim() === '') {
        set('autoDecision', `${label('autoDecision')}: policy path is required.`);
      }
      if (!(autoDecisionModes as readonly unknown[]).includes(autoDecision['mode'])) {
        set('autoDecision', `${label('autoDecision')}: mode must be one of ${autoDecisionModes.join(', ')}.`);
      }
    }
  }
}

function validateVerification(values: Values, stageTimeoutMs: unknown, set: Setter, label: Labeler): void {
  // Autopilot needs a metric template, a log template or both, and answers 400 on `body.template` otherwise.
  if (isMissing(values['template']) && isMissing(values['logTemplate'])) {
    set('template', `${label('template')} or ${label('logTemplate')} is required: choose at least one.`);
  }
  for (const name of ['template', 'logTemplate']) {
    const template = values[name];
    if (
      !isMissing(template) &&
      !isSpel(template) &&
      (!isRecord(template) || typeof template['name'] !== 'string' || template['name'] === '')
    ) {
      set(name, `${label(name)}: choose a template.`);
    }
  }
  const weights = values['weights'];
  if (!isMissing(weights) && !isSpel(weights)) {
    if (!isRecord(weights)) set('weights', `${label('weights')} must be an object with metric and log.`);
    else {
      const { min, max } = limits.weight;
      const metricProblem = isSpel(weights['metric']) ? undefined : rangeProblem(weights['metric'], min, max, String);
      const logProblem = isSpel(weights['log']) ? undefined : rangeProblem(weights['log'], min, max, String);
      if (metricProblem) set('weights', `Metric weight ${metricProblem}`);
      else if (logProblem) set('weights', `Log weight ${logProblem}`);
      else if (weights['metric'] === 0 && weights['log'] === 0) {
        set('weights', `${label('weights')}: metric and log must not both be 0.`);
      }
    }
  }
  for (const scope of ['baseline', 'canary']) {
    const value = values[scope];
    if (value !== undefined && (!isRecord(value) || Object.keys(value).length === 0)) {
      set(scope, `${label(scope)} needs at least one label.`);
    }
  }
  const startTime = values['startTime'];
  if (typeof startTime === 'string' && startTime !== '' && !isSpel(startTime) && Number.isNaN(Date.parse(startTime))) {
    set('startTime', `${label('startTime')} must be an ISO-8601 time such as 2026-01-31T12:00:00Z.`);
  }

  const lifetimeMs = values['lifetimeMs'];
  if (lifetimeMs !== undefined && !isSpel(lifetimeMs)) {
    const problem = rangeProblem(lifetimeMs, limits.lifetimeMs.min, limits.lifetimeMs.max, formatDuration);
    if (problem) set('lifetimeMs', `${label('lifetimeMs')} ${problem}`);
    else if (typeof stageTimeoutMs === 'number' && (lifetimeMs as number) >= stageTimeoutMs) {
      set(
        'lifetimeMs',
        `${label('lifetimeMs')} must be shorter than the stage timeout (${formatDuration(stageTimeoutMs)}).`,
      );
    }
  }
  const intervalMs = values['intervalMs'];
  if (intervalMs !== undefined && !isSpel(intervalMs)) {
    const max = typeof lifetimeMs === 'number' ? lifetimeMs : Number.MAX_SAFE_INTEGER;
    const problem = rangeProblem(intervalMs, limits.intervalMs.min, max, formatDuration);
    if (problem)
      set('intervalMs', `${label('intervalMs')} ${problem.replace(/at most .*\.$/, 'at most the analysis lifetime.')}`);
  }

  const thresholds = values['thresholds'];
  if (thresholds !== undefined) {
    if (!isRecord(thresholds)) set('thresholds', `${label('thresholds')} must be an object with pass and marginal.`);
    else {
      const { pass, marginal } = thresholds;
      const { min, max } = limits.score;
      const passProblem = rangeProblem(pass, min, max, String);
      const marginalProblem = rangeProblem(marginal, min, max, String);
      if (passProblem) set('thresholds', `Pass threshold ${passProblem}`);
      else if (marginalProblem) set('thresholds', `Marginal threshold ${marginalProblem}`);
      else if ((marginal as number) > (pass as number)) {
        set(
          'thresholds',
          `Thresholds out of order: marginal (${String(marginal)}) must not be above pass (${String(pass)}).`,
        );
      }
    }
  }
}

/** Jenkins permalinks autopilot accepts in place of a build number. */
export const jenkinsPermalinks = [
  'lastBuild',
  'lastCompletedBuild',
  'lastSuccessfulBuild',
  'lastStableBuild',
  'lastUnstableBuild',
  'lastFailedBuild',
] as const;

/** The kind of a test run entry: which of job, url and xml it names (none or several: undefined). */
export function testRunKind(run: unknown): 'jenkins' | 'url' | 'xml' | undefined {
  if (!isRecord(run)) return undefined;
  const named = (['job', 'url', 'xml'] as const).filter((key) => !isMissing(run[key]));
  if (named.length !== 1) return undefined;
  return named[0] === 'job' ? 'jenkins' : named[0];
}

function validateTestVerification(values: Values, set: Setter, label: Labeler): void {
  for (const side of ['baseline', 'canary']) {
    const runs = values[side];
    if (runs === undefined || isSpel(runs)) continue;
    if (!Array.isArray(runs)) {
      set(side, `${label(side)} must be a list of runs.`);
      continue;
    }
    if (runs.length === 0) set(side, `${label(side)}: add at least one run.`);
    runs.forEach((run: unknown, index) => {
      const row = `${label(side)} run ${index + 1}`;
      // Orca evaluates the payload against the unevaluated parameters, so `${…}` in a run would reach
      // autopilot as text and fail the stage (orca-stages README, "Parameter values must be literal").
      if (JSON.stringify(run ?? null).includes('${'))
        return set(side, `${row}: SpEL (\${…}) cannot be used here; use a build number or a Jenkins permalink.`);
      if (!isRecord(run)) return set(side, `${row} must be an object such as {"job": "web", "build": 42}.`);
      const kind = testRunKind(run);
      if (!kind) return set(side, `${row}: give exactly one of a Jenkins job, a URL or XML.`);
      if (kind === 'jenkins') {
        const build = run['build'];
        if (isMissing(build)) set(side, `${row}: the build is required.`);
        else if (
          !(typeof build === 'number' && Number.isInteger(build) && build > 0) &&
          !(
            typeof build === 'string' &&
            (/^[1-9][0-9]*$/.test(build) || (jenkinsPermalinks as readonly string[]).includes(build))
          )
        )
          set(side, `${row}: the build must be a number or one of ${jenkinsPermalinks.join(', ')}.`);
        const artifact = run['artifact'];
        if (
          typeof artifact === 'string' &&
          artifact.split('/').some((part) => part === '' || part === '.' || part === '..')
        )
          set(side, `${row}: the artifact must be a relative path inside the build.`);
      }
      if (kind === 'url' && !/^https?:\/\/[^\s]+$/i.test(String(run['url']))) {
        set(side, `${row}: the URL must start with http:// or https://.`);
      }
    });
  }
  const thresholds = values['thresholds'];
  if (thresholds !== undefined) {
    if (!isRecord(thresholds)) set('thresholds', `${label('thresholds')} must be an object with pass and marginal.`);
    else {
      const { min, max } = limits.score;
      const passProblem = rangeProblem(thresholds['pass'], min, max, String);
      const marginalProblem = rangeProblem(thresholds['marginal'], min, max, String);
      if (passProblem) set('thresholds', `Pass threshold ${passProblem}`);
      else if (marginalProblem) set('thresholds', `Marginal threshold ${marginalProblem}`);
      else if ((thresholds['marginal'] as number) > (thresholds['pass'] as number))
        set('thresholds', 'Thresholds out of order: marginal must not be above pass.');
    }
  }
  const durations = values['durations'];
  if (!isMissing(durations) && !isSpel(durations)) {
    if (!isRecord(durations)) set('durations', `${label('durations')} must be an object.`);
    else {
      const bounds: Record<string, [number, string]> = {
        ratio: [1, 'Slower ratio'],
        suiteRatio: [1, 'Suite ratio'],
        minIncreaseMs: [0, 'Minimum increase'],
        suiteMinIncreaseMs: [0, 'Suite minimum increase'],
      };
      for (const [key, [min, name]] of Object.entries(bounds)) {
        const value = durations[key];
        if (value === undefined || value === null || isSpel(value)) continue;
        const problem = rangeProblem(value, min, key.endsWith('Ms') ? Number.MAX_SAFE_INTEGER : 1000, String);
        if (problem) set('durations', `${name} ${problem}`);
      }
    }
  }
}

function validatePolicy(values: Values, set: Setter, label: Labeler): void {
  const policy = values['policy'];
  if (policy !== undefined && (typeof policy !== 'string' || policy.trim() === '')) {
    set('policy', `${label('policy')} is required.`);
  }
  const params = values['params'];
  if (params !== undefined && !isRecord(params)) set('params', `${label('params')} must be a JSON object.`);
}

/** The checks visibility makes on a JIRA stage's create, so the author sees them before the pipeline runs. */
function validateJira(values: Values, stageTimeoutMs: unknown, set: Setter, label: Labeler): void {
  const project = values['project'];
  if (typeof project === 'string' && !isSpel(project) && project.trim() !== '') {
    if (!/^[A-Za-z][A-Za-z0-9_]{0,49}$/.test(project.trim()))
      set('project', `${label('project')} must be a JIRA project key: a letter, then letters, digits or _ (e.g. OPS).`);
  }
  for (const name of ['project', 'issueType', 'summary']) {
    const value = values[name];
    if (value !== undefined && (typeof value !== 'string' || value.trim() === ''))
      set(name, `${label(name)} is required.`);
  }
  const summary = values['summary'];
  if (typeof summary === 'string' && !isSpel(summary)) {
    if (summary.length > 255) set('summary', `${label('summary')} must be at most 255 characters (JIRA's limit).`);
    else if (/[\r\n]/.test(summary)) set('summary', `${label('summary')} must be one line.`);
  }
  const labels = values['labels'];
  if (Array.isArray(labels)) {
    const spaced = labels.find((item) => typeof item === 'string' && !isSpel(item) && /\s/.test(item));
    if (spaced !== undefined) set('labels', `${label('labels')}: "${String(spaced)}" has a space; JIRA labels cannot.`);
  }
  const waitFor = Array.isArray(values['waitForStatuses']) ? (values['waitForStatuses'] as unknown[]) : [];
  const rejecting = Array.isArray(values['rejectStatuses']) ? (values['rejectStatuses'] as unknown[]) : [];
  const both = rejecting.find(
    (status) =>
      typeof status === 'string' && waitFor.some((wanted) => String(wanted).toLowerCase() === status.toLowerCase()),
  );
  if (both !== undefined)
    set('rejectStatuses', `${label('rejectStatuses')}: "${String(both)}" is also a status to wait for.`);
  waitTimeout(values, stageTimeoutMs, set, label);
}

/** The checks visibility makes on a ServiceNow stage's create. */
function validateServiceNow(values: Values, stageTimeoutMs: unknown, set: Setter, label: Labeler): void {
  const short = values['shortDescription'];
  if (short !== undefined && (typeof short !== 'string' || short.trim() === ''))
    set('shortDescription', `${label('shortDescription')} is required.`);
  else if (typeof short === 'string' && !isSpel(short) && short.length > 160)
    set('shortDescription', `${label('shortDescription')} must be at most 160 characters (ServiceNow's limit).`);
  const type = values['changeType'];
  if (!isMissing(type) && !isSpel(type) && !(serviceNowChangeTypes as readonly unknown[]).includes(type))
    set('changeType', `${label('changeType')} must be one of ${serviceNowChangeTypes.join(', ')}.`);
  waitTimeout(values, stageTimeoutMs, set, label);
}

/** The checks visibility makes on an Ansible stage's create. */
function validateAnsible(values: Values, stageTimeoutMs: unknown, set: Setter, label: Labeler): void {
  const template = values['jobTemplate'];
  if (template !== undefined && (typeof template !== 'string' || template.trim() === ''))
    set('jobTemplate', `${label('jobTemplate')} is required: its name or id.`);
  // extraVars that is not an object is already named by normalizeParameterValues.
  waitTimeout(values, stageTimeoutMs, set, label);
}

/** The wait of an external-system stage: in range, and shorter than Orca's stage timeout. */
function waitTimeout(values: Values, stageTimeoutMs: unknown, set: Setter, label: Labeler): void {
  const timeoutMs = values['timeoutMs'];
  if (timeoutMs === undefined || isSpel(timeoutMs)) return;
  const problem = rangeProblem(timeoutMs, limits.approvalTimeoutMs.min, limits.approvalTimeoutMs.max, formatDuration);
  if (problem) set('timeoutMs', `${label('timeoutMs')} ${problem}`);
  else if (typeof stageTimeoutMs === 'number' && (timeoutMs as number) >= stageTimeoutMs)
    set(
      'timeoutMs',
      `${label('timeoutMs')} must be shorter than the stage timeout (${formatDuration(stageTimeoutMs)}), so the stage can report "timeout".`,
    );
}

/** Flattens StageErrors into the messages Deck's pipeline validator lists. */
export function errorMessages(errors: StageErrors): string[] {
  return [...(errors.stageTimeoutMs ? [errors.stageTimeoutMs] : []), ...Object.values(errors.parameterValues ?? {})];
}

/** Deck validators for a gate stage: the field checks, blocking save while any fails. */
export function stageValidators(kind: GateKind): ICustomValidator[] {
  return [
    {
      type: 'custom',
      preventSave: true,
      validate: (_pipeline: IPipeline, stage: IStage) => errorMessages(validateGateStage(kind, stage)).join(' '),
    },
  ];
}

/** Formats a duration in the largest whole unit, e.g. `1d 10m`. */
export function formatDuration(ms: number): string {
  const units: Array<[string, number]> = [
    ['d', DAY_MS],
    ['h', 60 * MINUTE_MS],
    ['m', MINUTE_MS],
    ['s', 1000],
  ];
  const parts: string[] = [];
  let rest = Math.round(ms);
  for (const [unit, size] of units) {
    const count = Math.floor(rest / size);
    if (count > 0) parts.push(`${count}${unit}`);
    rest -= count * size;
  }
  return parts.length > 0 ? parts.join(' ') : `${ms}ms`;
}

function rangeProblem(value: unknown, min: number, max: number, format: (n: number) => string): string | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value)) return 'must be a number.';
  if (value < min) return `must be at least ${format(min)}.`;
  if (value > max) return `must be at most ${format(max)}.`;
  return undefined;
}

function isMissing(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}
