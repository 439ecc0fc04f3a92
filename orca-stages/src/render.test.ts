import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { parseRenderArguments } from './main';
import {
  ConfigSchemaError,
  gateStageByKey,
  parseGateLocal,
  parseOrcaLocal,
  renderSpinnakerConfig,
  resolveValues,
  serviceTokenHeader,
  writeRenderedConfig,
} from './index';

const goldenDir = path.join(__dirname, '..', 'golden');

function errorOf(action: () => unknown): ConfigSchemaError {
  try {
    action();
  } catch (error) {
    if (error instanceof ConfigSchemaError) return error;
    throw error;
  }
  throw new Error('expected a ConfigSchemaError');
}

function withValuesFile(text: string): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'isd-values-')), 'values.yml');
  fs.writeFileSync(file, text);
  return file;
}

/** Java's `Pattern.matches` semantics for the patterns we emit (lookaheads behave the same in JS). */
function javaMatches(pattern: string, text: string): boolean {
  return new RegExp(`^(?:${pattern})$`).test(text);
}

describe('renderSpinnakerConfig', () => {
  it('renders the default values exactly as the committed golden files', () => {
    const rendered = renderSpinnakerConfig(resolveValues());
    for (const name of ['orca-local.yml', 'gate-local.yml'] as const) {
      const golden = fs.readFileSync(path.join(goldenDir, name), 'utf8');
      expect(rendered.files[name]).toBe(golden);
    }
  });

  it('writes YAML that parses back to the same validated objects', () => {
    const rendered = renderSpinnakerConfig(resolveValues());
    const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'isd-render-'));
    const files = writeRenderedConfig(rendered, outDir);
    expect(files.map((file) => path.basename(file)).sort()).toEqual(['gate-local.yml', 'orca-local.yml']);
    expect(parseOrcaLocal(fs.readFileSync(path.join(outDir, 'orca-local.yml'), 'utf8'))).toEqual(rendered.orcaLocal);
    expect(parseGateLocal(fs.readFileSync(path.join(outDir, 'gate-local.yml'), 'utf8'))).toEqual(rendered.gateLocal);
  });

  it('renders one preconfigured webhook per gate that polls the Location with the token header', () => {
    const { orcaLocal } = renderSpinnakerConfig(resolveValues());
    const types = orcaLocal.webhook.preconfigured.map((webhook) => webhook.type).sort();
    expect(types).toEqual([
      'isdAnsibleJob',
      'isdApprovalGate',
      'isdJiraIssue',
      'isdPolicyGate',
      'isdServiceNowChange',
      'isdTerraform',
      'isdTestVerificationGate',
      'isdVerificationGate',
    ]);
    for (const webhook of orcaLocal.webhook.preconfigured) {
      expect(webhook.statusUrlResolution).toBe('locationHeader');
      expect(webhook.statusJsonPath).toBe('$.status');
      // Orca copies customHeaders into the stage context (PreconfiguredWebhookStage); sensitiveHeaders
      // it sends without copying, so by default the token never appears in an execution.
      expect(webhook.customHeaders?.[serviceTokenHeader]).toBeUndefined();
      expect(webhook.sensitiveHeaders?.[serviceTokenHeader]).toEqual(['${ISD_SERVICE_TOKEN}']);
      expect(JSON.stringify(webhook.customHeaders)).not.toContain('ISD_SERVICE_TOKEN');
    }
  });

  it('locks the policy gate to no cancel call so a stage cannot aim the token elsewhere', () => {
    const { orcaLocal } = renderSpinnakerConfig(resolveValues());
    const policy = orcaLocal.webhook.preconfigured.find((webhook) => webhook.type === 'isdPolicyGate');
    expect(policy?.cancelEndpoint).toBe('');
  });

  it('lets Orca reach the sidecar hosts but still excludes every other .local host', () => {
    const restrictions = renderSpinnakerConfig(resolveValues()).orcaLocal['user-configured-url-restrictions'];
    expect(restrictions.excludedDomains).not.toContain('local');
    const patterns = restrictions.extraExcludedPatterns ?? [];
    const excluded = (host: string): boolean => patterns.some((pattern) => javaMatches(pattern, host));
    expect(excluded('isd-visibility.isd.svc.cluster.local')).toBe(false);
    expect(excluded('isd-sapor.isd.svc.cluster.local')).toBe(false);
    expect(excluded('kube-dns.kube-system.svc.cluster.local')).toBe(true);
    expect(excluded('xisd-sapor.isd.svc.cluster.local')).toBe(true);
    expect(javaMatches(restrictions.allowedHostnamesRegex ?? '', 'isd-sapor.isd.svc.cluster.local')).toBe(true);
  });

  it('allows dot-less sidecar host names and, only when asked, localhost', () => {
    const values = resolveValues({
      overrides: {
        sidecars: {
          visibility: 'http://visibility:8080',
          autopilot: 'http://localhost:8081',
          sapor: 'http://localhost:8082',
        },
        orca: { allowLocalhost: true },
      },
    });
    const restrictions = renderSpinnakerConfig(values).orcaLocal['user-configured-url-restrictions'];
    expect(javaMatches(restrictions.allowedHostnamesRegex ?? '', 'visibility')).toBe(true);
    expect(javaMatches(restrictions.allowedHostnamesRegex ?? '', 'other')).toBe(false);
    expect(restrictions.rejectLocalhost).toBe(false);
    expect(restrictions.excludedDomains).toEqual(['spinnaker', 'local', 'localdomain', 'internal']);
  });

  it('moves marginal to the success list when values say marginal passes', () => {
    const values = resolveValues({ overrides: { verification: { marginalOutcome: 'success' } } });
    for (const type of ['isdVerificationGate', 'isdTestVerificationGate']) {
      const verification = renderSpinnakerConfig(values).orcaLocal.webhook.preconfigured.find(
        (webhook) => webhook.type === type,
      );
      expect(verification?.successStatuses).toBe('pass,marginal');
      expect(verification?.terminalStatuses).toBe('fail,error');
    }
  });

  it('puts the token into customHeaders only when asked (Orca without sensitiveHeaders)', () => {
    const values = resolveValues({ overrides: { serviceToken: { placement: 'customHeaders' } } });
    for (const webhook of renderSpinnakerConfig(values).orcaLocal.webhook.preconfigured) {
      expect(webhook.customHeaders?.[serviceTokenHeader]).toEqual(['${ISD_SERVICE_TOKEN}']);
      expect(webhook.sensitiveHeaders).toBeUndefined();
    }
  });

  it('names the install default approver groups in the parameter help, not as a JSON-text default', () => {
    const values = resolveValues({
      overrides: { approval: { defaultApproverGroups: [{ name: 'release-managers', required: 2 }] } },
    });
    const approval = renderSpinnakerConfig(values).orcaLocal.webhook.preconfigured.find(
      (webhook) => webhook.type === 'isdApprovalGate',
    );
    const groups = approval?.parameters?.find((parameter) => parameter.name === 'approverGroups');
    expect(groups?.defaultValue).toBeUndefined();
    expect(groups?.description).toContain('[{"name":"release-managers","required":2}]');
  });

  it('gives only string parameters a default, so a stage made without the plugin sends typed values or null', () => {
    // Deck's generic form copies each defaultValue into parameterValues as a string, and the payload's
    // #toJson then sends it as a JSON string: a typed parameter must have none (null = the service default).
    for (const webhook of renderSpinnakerConfig(resolveValues()).orcaLocal.webhook.preconfigured) {
      const stage = gateStageByKey(webhook.type ?? '');
      for (const parameter of webhook.parameters ?? []) {
        const declared = stage?.parameters.find((candidate) => candidate.name === parameter.name);
        expect(declared).toBeDefined();
        if (declared?.type !== 'string')
          expect([webhook.type, parameter.name, parameter.defaultValue]).toEqual([
            webhook.type,
            parameter.name,
            undefined,
          ]);
      }
      expect(JSON.stringify(webhook.parameters)).not.toMatch(/"defaultValue":"(\[|\{|\d|true|false)/);
    }
  });

  it('points the Gate proxies at Gate-only targets when given', () => {
    const values = resolveValues({
      overrides: { gateProxy: { targets: { visibility: 'http://isd-visibility-gate.isd.svc:8443' } } },
    });
    const proxies = renderSpinnakerConfig(values).gateLocal.proxies;
    expect(proxies.find((proxy) => proxy.id === 'visibility')?.uri).toBe('http://isd-visibility-gate.isd.svc:8443');
    expect(proxies.find((proxy) => proxy.id === 'sapor')?.uri).toBe('http://isd-sapor.isd.svc.cluster.local:8081');
  });
});

describe('Deck plugin coordinates', () => {
  it('defaults to the id and version the deck-plugin workspace packages', () => {
    const deckPackage = JSON.parse(
      fs.readFileSync(path.join(__dirname, '..', '..', 'deck-plugin', 'package.json'), 'utf8'),
    ) as {
      version: string;
      spinnakerPlugin: { id: string };
    };
    const { deckPlugin } = resolveValues();
    expect(deckPlugin.id).toBe(deckPackage.spinnakerPlugin.id);
    expect(deckPlugin.version).toBe(deckPackage.version);
  });
});

describe('render values', () => {
  it('names an unknown field in a values file', () => {
    const file = withValuesFile('sidecars:\n  visibilty: http://a.b:1\n');
    const error = errorOf(() => resolveValues({ file }));
    expect(error.message).toContain('sidecars.visibilty: unknown field');
  });

  it('names a mistyped field', () => {
    const file = withValuesFile('gateProxy:\n  readTimeoutMs: fast\n');
    expect(errorOf(() => resolveValues({ file })).message).toContain('gateProxy.readTimeoutMs');
  });

  it('refuses a literal service token', () => {
    const error = errorOf(() => resolveValues({ overrides: { serviceToken: { reference: 's3cr3t-token' } } }));
    expect(error.message).toContain('serviceToken.reference: must be a secret reference');
  });

  it('accepts a kork encrypted secret reference', () => {
    const reference = 'encrypted:k8s!n:isd-service-token!k:token';
    expect(resolveValues({ overrides: { serviceToken: { reference } } }).serviceToken.reference).toBe(reference);
  });

  it('refuses sidecar URLs with a literal IP or a path', () => {
    expect(
      errorOf(() => resolveValues({ overrides: { sidecars: { sapor: 'http://10.0.0.4:8080' } } })).message,
    ).toContain('sidecars.sapor: must name a host, not a literal IP');
    expect(
      errorOf(() => resolveValues({ overrides: { sidecars: { sapor: 'http://sapor.isd.svc/x' } } })).message,
    ).toContain('sidecars.sapor: must be a base URL');
  });

  it('names the file when it is not YAML', () => {
    const file = withValuesFile('sidecars: [unclosed\n');
    expect(errorOf(() => resolveValues({ file })).message).toContain(`${file}: not valid YAML`);
  });
});

describe('Spinnaker config schemas', () => {
  const golden = (): Record<string, unknown> =>
    YAML.parse(fs.readFileSync(path.join(goldenDir, 'orca-local.yml'), 'utf8')) as Record<string, unknown>;

  it('rejects a field Orca only reads from stage JSON, naming it', () => {
    const config = golden() as { webhook: { preconfigured: Array<Record<string, unknown>> } };
    config.webhook.preconfigured[0]!.stageTimeoutMs = 1000;
    const error = errorOf(() => parseOrcaLocal(YAML.stringify(config)));
    expect(error.message).toContain('webhook.preconfigured.0.stageTimeoutMs: unknown field');
  });

  it('rejects a SpEL expression containing ":" that Spring would rewrite', () => {
    const config = golden() as { webhook: { preconfigured: Array<Record<string, unknown>> } };
    config.webhook.preconfigured[1]!.payload = '{"a": ${parameterValues.a ?: 1}}';
    expect(errorOf(() => parseOrcaLocal(YAML.stringify(config))).message).toContain('webhook.preconfigured.1.payload');
  });

  it('rejects a mistyped status URL resolution and a missing success list', () => {
    const config = golden() as { webhook: { preconfigured: Array<Record<string, unknown>> } };
    config.webhook.preconfigured[2]!.statusUrlResolution = 'location';
    expect(errorOf(() => parseOrcaLocal(YAML.stringify(config))).message).toContain(
      'webhook.preconfigured.2.statusUrlResolution',
    );
    config.webhook.preconfigured[2]!.statusUrlResolution = 'locationHeader';
    delete config.webhook.preconfigured[2]!.successStatuses;
    expect(errorOf(() => parseOrcaLocal(YAML.stringify(config))).message).toContain(
      'webhook.preconfigured.2.successStatuses: is required when waitForCompletion is true',
    );
  });

  it('rejects a Gate proxy field that does not exist', () => {
    const text = fs
      .readFileSync(path.join(goldenDir, 'gate-local.yml'), 'utf8')
      .replace('    connectTimeoutMs: 5000', '    skipHostnameVerification: true');
    expect(errorOf(() => parseGateLocal(text)).message).toContain('proxies.0.skipHostnameVerification: unknown field');
  });
});

describe('render command line', () => {
  it('resolves paths from where npm was invoked', () => {
    expect(parseRenderArguments(['--values', 'v.yml', '--out', 'out'], '/repo')).toEqual({
      valuesFile: '/repo/v.yml',
      outDir: '/repo/out',
    });
  });

  it('requires --out and rejects unknown arguments', () => {
    expect(() => parseRenderArguments([], '/repo')).toThrow('--out is required');
    expect(() => parseRenderArguments(['--out'], '/repo')).toThrow(/--out <value>' argument missing/);
    expect(() => parseRenderArguments(['--out', '--values', 'v.yml'], '/repo')).toThrow(/--out' argument is ambiguous/);
    expect(() => parseRenderArguments(['--out', 'x', '--force'], '/repo')).toThrow(/Unknown option '--force'/);
    expect(() => parseRenderArguments(['--out', 'x', 'stray'], '/repo')).toThrow(/Unexpected argument 'stray'/);
  });
});
