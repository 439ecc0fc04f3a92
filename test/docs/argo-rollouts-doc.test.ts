// docs/argo-rollouts.md against the autopilot route it calls, without a cluster: the AnalysisTemplate's
// request (after Argo's argument substitution, with the doc's Rollout arguments) is one the route
// accepts, its conditions test only words the route answers, and its limits let a running verification
// be polled to its end. test/e2e/argo-rollouts.test.ts runs the same template in the real controller.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ARGO_STATUSES, argoVerificationSchema } from '@isd/autopilot';
import { repoRoot, requireTool } from '@isd/test-support';
import { parseAllDocuments } from 'yaml';
import { ARGO_DOC, docManifest, resolveArgs } from '../e2e/argo-rollouts-support';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- manifests are free-form YAML
type Loose = Record<string, any>;

const template = docManifest('AnalysisTemplate');
const secret = docManifest('Secret');
const rollout = docManifest('Rollout');
const metric = (template.spec.metrics as Loose[])[0]!;

/** The args an AnalysisRun of the doc's Rollout gets: the template defaults, the Rollout's values, and what the controller fills in. */
function runArgs(filled: Record<string, string>): Record<string, string | undefined> {
  const args: Record<string, string | undefined> = {};
  for (const arg of template.spec.args as Loose[]) args[arg.name] = arg.value;
  const step = (rollout.spec.strategy.canary.steps as Loose[]).find((s) => s.analysis)!;
  for (const arg of step.analysis.args as Loose[]) args[arg.name] = arg.value ?? filled[arg.name];
  for (const [name, value] of Object.entries(filled)) if (args[name] === undefined) args[name] = value;
  return args;
}

describe('docs/argo-rollouts.md', () => {
  it('takes the token from the Secret it shows and sends it in the header autopilot reads', () => {
    const token = (template.spec.args as Loose[]).find((arg) => arg.name === 'isd-token')!;
    expect(token.valueFrom.secretKeyRef).toEqual({ name: secret.metadata.name, key: 'service-token' });
    expect(Object.keys(secret.stringData as Loose)).toEqual(['service-token']);
    expect(metric.provider.web.headers).toEqual([{ key: 'X-ISD-Service-Token', value: '{{args.isd-token}}' }]);
  });

  it("sends a body the route accepts once Argo substitutes the Rollout's arguments", () => {
    const args = runArgs({
      namespace: 'prod',
      rollout: 'web',
      revision: '4',
      'baseline-hash': '5d8f7c9b6',
      'canary-hash': '7c9d6f5b4',
      'isd-token': 'secret-token',
    });
    const resolved = resolveArgs(metric, args) as Loose;
    const web = resolved.provider.web as Loose;
    expect(web.method).toBe('POST');
    expect(web.url).toBe('http://isd-autopilot.isd.svc:8080/api/v1/argo/verifications');
    expect(web.jsonPath).toBe('{$}');
    const parsed = argoVerificationSchema.safeParse(web.jsonBody);
    expect(parsed.error?.issues ?? []).toEqual([]);
    expect(parsed.data).toMatchObject({
      application: 'web',
      rollout: { namespace: 'prod', name: 'web', revision: '4' },
      analysis: 'step-20',
      baseline: { namespace: 'prod', rollouts_pod_template_hash: '5d8f7c9b6' },
      canary: { namespace: 'prod', rollouts_pod_template_hash: '7c9d6f5b4' },
      lifetimeMs: 1_800_000,
      intervalMs: 300_000,
    });
    // The optional arguments the Rollout leaves at '' are absent to the route, not invalid.
    expect(parsed.data?.startTime).toBeUndefined();
  });

  it('tests only the words the route answers, and polls long enough for the verdict', () => {
    const quoted = (condition: string) => [...condition.matchAll(/"([^"]*)"/g)].map((match) => match[1]);
    const success = quoted(metric.successCondition as string);
    const failure = quoted(metric.failureCondition as string);
    for (const word of [...success, ...failure]) expect(ARGO_STATUSES).toContain(word);
    expect(success).toContain('pass');
    expect(failure).toContain('fail');
    // `running` must be neither, or the first poll would decide.
    expect([...success, ...failure]).not.toContain('running');
    const seconds = Number(/^(\d+)m$/.exec(metric.interval as string)?.[1]) * 60;
    const lifetimeMs = Number((template.spec.args as Loose[]).find((arg) => arg.name === 'lifetime-ms')!.value);
    expect(seconds * 1000 * metric.count).toBeGreaterThan(lifetimeMs);
    expect(metric.inconclusiveLimit).toBeGreaterThanOrEqual(metric.count);
    expect([metric.consecutiveSuccessLimit, metric.failureLimit]).toEqual([1, 0]);
  });

  it("lets the Argo controller through the isd chart's NetworkPolicy with the values it shows (real helm)", () => {
    const values = /```yaml\n(networkPolicy:[\s\S]*?)```/.exec(fs.readFileSync(ARGO_DOC, 'utf8'))?.[1];
    expect(values).toBeDefined();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'argo-doc-'));
    try {
      fs.writeFileSync(path.join(dir, 'values.yaml'), values!);
      const rendered = execFileSync(
        requireTool('helm'),
        ['template', 'isd', path.join(repoRoot, 'charts/isd'), '-n', 'isd', '-f', path.join(dir, 'values.yaml')],
        { encoding: 'utf8' },
      );
      const policy = parseAllDocuments(rendered)
        .map((document) => document.toJS() as Loose)
        .find((object) => object?.kind === 'NetworkPolicy' && object.metadata.name === 'isd-autopilot')!;
      expect(policy.spec.ingress).toContainEqual({
        from: [
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'argo-rollouts' } },
            podSelector: { matchLabels: { 'app.kubernetes.io/name': 'argo-rollouts' } },
          },
        ],
        ports: [{ port: 'http', protocol: 'TCP' }],
      });
      // The doc's default autopilot-url names that Service and port.
      const service = parseAllDocuments(rendered)
        .map((document) => document.toJS() as Loose)
        .find((object) => object?.kind === 'Service' && object.metadata.name === 'isd-autopilot')!;
      const url = (template.spec.args as Loose[]).find((arg) => arg.name === 'autopilot-url')!.value as string;
      expect(url).toBe(
        `http://${service.metadata.name}.isd.svc:${service.spec.ports.find((p: Loose) => p.name === 'http').port}`,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
