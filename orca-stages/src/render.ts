// Renders `orca-local.yml` and `gate-local.yml` from the catalog and the render values, and checks the
// result against the strict schemas of what Orca and Gate bind.
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { gateKinds, gateStages, serviceTokenHeader } from './catalog';
import type { GateStage, SidecarService } from './catalog';
import { gateLocalSchema, orcaLocalSchema, parseWithSchema } from './spinnaker-schemas';
import type { GateLocalConfig, OrcaLocalConfig, PreconfiguredWebhook, ProxyConfig } from './spinnaker-schemas';
import type { RenderValues } from './values';

/** The two rendered Spinnaker profiles, as objects and as YAML text. */
export interface RenderedConfig {
  orcaLocal: OrcaLocalConfig;
  gateLocal: GateLocalConfig;
  files: { 'orca-local.yml': string; 'gate-local.yml': string };
}

// Orca's defaults since release-1.36 (UserConfiguredUrlRestrictions.Builder): hosts need a dot and
// must not end in one of these domains.
const orcaDefaultAllowedHostnamesRegex = '.*\\..+';
const orcaDefaultExcludedDomains = ['spinnaker', 'local', 'localdomain', 'internal'];

const services: SidecarService[] = ['visibility', 'autopilot', 'sapor'];

/** Quotes text for a Java regex (the subset that can appear in a host name). */
function quoteHostForRegex(host: string): string {
  return host.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Parameters Deck's generic preconfigured-webhook form would show. Orca's parameters are strings only
 * (`PreconfiguredStageParameter`), and the form writes a default into every stage made without the
 * plugin, where the payload's `#toJson` sends it as a JSON string: `'[]'` or `'86400000'` would reach
 * the sidecar as text where it expects an array or a number, a 400. So only string parameters carry a
 * default here; a typed parameter left empty is JSON `null`, which every sidecar reads as "use the
 * default", and its description names that default. The plugin writes typed values itself.
 */
function renderParameters(stage: GateStage, values: RenderValues): NonNullable<PreconfiguredWebhook['parameters']> {
  const installDefaults: Record<string, unknown> =
    // The Terraform stage's approval starts from the same install defaults as the approval gate.
    stage.kind === 'approval' || stage.kind === 'terraform'
      ? {
          approverGroups: values.approval.defaultApproverGroups,
          timeoutMs: values.approval.defaultTimeoutMs,
          allowSelfApproval: values.approval.defaultAllowSelfApproval,
        }
      : {};
  return stage.parameters.map((parameter, index) => {
    const defaultValue = parameter.name in installDefaults ? installDefaults[parameter.name] : parameter.defaultValue;
    const typed = parameter.type !== 'string';
    const typedNote = typed
      ? ` (${parameter.type}, set in the ISD stage editor${defaultValue === undefined ? '' : `, which starts new stages with ${JSON.stringify(defaultValue)}`}; left empty here it is null, the service's default)`
      : '';
    return {
      name: parameter.name,
      label: parameter.label,
      description: `${parameter.help}${typedNote}`,
      type: 'string' as const,
      order: index,
      ...(typed || defaultValue === undefined ? {} : { defaultValue: String(defaultValue) }),
    };
  });
}

function renderWebhook(stage: GateStage, values: RenderValues): PreconfiguredWebhook {
  const headers: Record<string, string[]> = { 'Content-Type': ['application/json'], Accept: ['application/json'] };
  const token = { [serviceTokenHeader]: [values.serviceToken.reference] };
  const statuses = { ...stage.statuses };
  if (
    (stage.kind === 'verification' || stage.kind === 'testVerification') &&
    values.verification.marginalOutcome === 'success'
  ) {
    statuses.terminal = statuses.terminal.filter((word) => word !== 'marginal');
    statuses.success = [...statuses.success, 'marginal'];
  }
  const webhook: PreconfiguredWebhook = {
    enabled: true,
    label: stage.label,
    description: stage.description,
    type: stage.key,
    parameters: renderParameters(stage, values),
    url: values.sidecars[stage.service] + stage.createPath,
    method: stage.method,
    customHeaders: values.serviceToken.placement === 'customHeaders' ? { ...headers, ...token } : headers,
    ...(values.serviceToken.placement === 'sensitiveHeaders' ? { sensitiveHeaders: token } : {}),
    payload: stage.payloadTemplate,
    waitForCompletion: stage.stageDefaults.waitForCompletion,
    statusUrlResolution: stage.statusUrlResolution,
    statusJsonPath: stage.statusJsonPath,
    ...(stage.progressJsonPath ? { progressJsonPath: stage.progressJsonPath } : {}),
    successStatuses: statuses.success.join(','),
    ...(statuses.terminal.length > 0 ? { terminalStatuses: statuses.terminal.join(',') } : {}),
    ...(statuses.canceled.length > 0 ? { canceledStatuses: statuses.canceled.join(',') } : {}),
  };
  if (stage.cancelEndpointTemplate) {
    webhook.signalCancellation = true;
    webhook.cancelEndpoint = stage.cancelEndpointTemplate;
    webhook.cancelMethod = stage.cancelMethod ?? 'POST';
    webhook.cancelPayload = stage.cancelPayloadTemplate ?? '{}';
  } else {
    // A YAML-null field keeps whatever the stage JSON says (PreconfiguredWebhookStage), and Orca sends
    // the service token to the cancel endpoint; an empty string locks it to "no cancel call".
    webhook.signalCancellation = false;
    webhook.cancelEndpoint = '';
  }
  return webhook;
}

/**
 * URL restrictions that let Orca reach exactly the sidecar hosts, keeping Orca's defaults for every
 * other host: an excluded domain a sidecar lives in (`.local` for `*.svc.cluster.local`) is replaced
 * by a pattern that still excludes it except for those hosts.
 */
export function renderUrlRestrictions(values: RenderValues): OrcaLocalConfig['user-configured-url-restrictions'] {
  const hosts = [...new Set(services.map((service) => new URL(values.sidecars[service]).hostname))];
  const dotless = hosts.filter((host) => !host.includes('.'));
  const allowedHostnamesRegex = [orcaDefaultAllowedHostnamesRegex, ...dotless.map(quoteHostForRegex)].join('|');
  const excludedDomains: string[] = [];
  const extraExcludedPatterns: string[] = [];
  for (const domain of orcaDefaultExcludedDomains) {
    const inside = hosts.filter((host) => host.endsWith(`.${domain}`));
    if (inside.length === 0) {
      excludedDomains.push(domain);
      continue;
    }
    // Same shape as Orca's excludedDomainTemplate `(?=.+\.%s$).*\..+`, with the sidecar hosts carved out.
    const carveOut = inside.map(quoteHostForRegex).join('|');
    extraExcludedPatterns.push(`(?!(?:${carveOut})$)(?=.+\\.${quoteHostForRegex(domain)}$).*\\..+`);
  }
  return {
    allowedHostnamesRegex,
    allowedSchemes: ['http', 'https'],
    rejectLocalhost: !values.orca.allowLocalhost,
    rejectLinkLocal: true,
    rejectVerbatimIps: true,
    excludedDomains,
    extraExcludedPatterns,
  };
}

function renderProxy(service: SidecarService, values: RenderValues): ProxyConfig {
  return {
    id: service,
    uri: values.gateProxy.targets[service] ?? values.sidecars[service],
    // Informational only: Gate's ProxyController serves GET/POST/PUT/DELETE whatever this says.
    methods: ['GET', 'POST', 'PUT', 'DELETE'],
    connectTimeoutMs: values.gateProxy.connectTimeoutMs,
    readTimeoutMs: values.gateProxy.readTimeoutMs,
    writeTimeoutMs: values.gateProxy.writeTimeoutMs,
  };
}

const generatedHeader = (file: string): string =>
  `# ${file}: generated by \`npm run render -w orca-stages\` from orca-stages/src/catalog.ts. Do not edit.\n`;

function toYaml(file: string, value: unknown): string {
  // lineWidth 0: never fold the SpEL payloads, so the text Orca evaluates is exactly the catalog's.
  return (
    generatedHeader(file) + YAML.stringify(value, { lineWidth: 0, aliasDuplicateObjects: false, singleQuote: true })
  );
}

/** Renders both profiles from validated values, checking each against the schema Orca/Gate bind. */
export function renderSpinnakerConfig(values: RenderValues): RenderedConfig {
  const orcaLocal = parseWithSchema(
    orcaLocalSchema,
    {
      webhook: { preconfigured: gateKinds.map((kind) => renderWebhook(gateStages[kind], values)) },
      'user-configured-url-restrictions': renderUrlRestrictions(values),
    },
    'orca-local.yml',
  );
  const gateLocal = parseWithSchema(
    gateLocalSchema,
    {
      proxies: services.map((service) => renderProxy(service, values)),
      spinnaker: {
        extensibility: {
          'deck-proxy': {
            enabled: true,
            plugins: { [values.deckPlugin.id]: { enabled: true, version: values.deckPlugin.version } },
          },
          repositories: { [values.deckPlugin.repositoryName]: { enabled: true, url: values.deckPlugin.repositoryUrl } },
        },
      },
    },
    'gate-local.yml',
  );
  return {
    orcaLocal,
    gateLocal,
    files: {
      'orca-local.yml': toYaml('orca-local.yml', orcaLocal),
      'gate-local.yml': toYaml('gate-local.yml', gateLocal),
    },
  };
}

/** Writes the rendered files into a directory (created if missing) and returns their paths. */
export function writeRenderedConfig(rendered: RenderedConfig, outDir: string): string[] {
  fs.mkdirSync(outDir, { recursive: true });
  return Object.entries(rendered.files).map(([name, text]) => {
    const file = path.join(outDir, name);
    fs.writeFileSync(file, text);
    return file;
  });
}

/** Parses and validates an `orca-local.yml` text (a rendered file or one edited by hand). */
export function parseOrcaLocal(text: string, file = 'orca-local.yml'): OrcaLocalConfig {
  return parseWithSchema(orcaLocalSchema, YAML.parse(text), file);
}

/** Parses and validates a `gate-local.yml` text. */
export function parseGateLocal(text: string, file = 'gate-local.yml'): GateLocalConfig {
  return parseWithSchema(gateLocalSchema, YAML.parse(text), file);
}
