// Orca's check of every webhook URL (orca-core UserConfiguredUrlRestrictions.validateURI, called from
// WebhookService.getRestTemplateData for create, monitor and cancel), driven by the rendered
// `user-configured-url-restrictions`. Differences: no DNS lookup — a host is "localhost" when it is
// `localhost`, 127.0.0.0/8 or ::1, and link-local when it is 169.254.0.0/16 or fe80::/10; `rejectedIps`
// CIDR matching is not implemented and refuses to run if configured.
import type { OrcaLocalConfig } from '@isd/orca-stages';

type Restrictions = OrcaLocalConfig['user-configured-url-restrictions'];

/** A URL Orca would refuse; the stage goes TERMINAL (create/monitor) or the cancel is skipped. */
export class UrlRestrictionError extends Error {
  override readonly name = 'UrlRestrictionError';
}

const defaults = {
  allowedHostnamesRegex: '.*\\..+',
  allowedSchemes: ['http', 'https'],
  excludedDomainTemplate: '(?=.+\\.%s$).*\\..+',
  excludedDomains: ['spinnaker', 'local', 'localdomain', 'internal'],
};

function quote(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function fullMatch(pattern: string, text: string): boolean {
  return new RegExp(`^(?:${pattern})$`).test(text);
}

function isIpAddress(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(':');
}

/** Validates a URL as Orca does before any webhook call; returns the parsed URL or throws UrlRestrictionError. */
export function validateWebhookUrl(
  url: string,
  restrictions: Restrictions,
  environment: Record<string, string> = {},
): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UrlRestrictionError(`URI not valid: ${url}`);
  }
  const scheme = parsed.protocol.replace(/:$/, '').toLowerCase();
  if (!(restrictions.allowedSchemes ?? defaults.allowedSchemes).includes(scheme as 'http' | 'https')) {
    throw new UrlRestrictionError(`unsupported URI scheme ${url}`);
  }
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  if (!host) throw new UrlRestrictionError(`Unable to determine host for the url provided ${url}`);
  const allowedHostnamesRegex = restrictions.allowedHostnamesRegex ?? defaults.allowedHostnamesRegex;
  if (allowedHostnamesRegex.trim() === '') {
    throw new UrlRestrictionError('Allowed Hostnames are not set, external HTTP requests are not enabled.');
  }
  if (isIpAddress(host) && (restrictions.rejectVerbatimIps ?? true)) {
    throw new UrlRestrictionError('Verbatim IP addresses are not allowed');
  }
  const isLocalhost = host === 'localhost' || /^127\./.test(host) || host === '::1';
  const isLinkLocal = /^169\.254\./.test(host) || /^fe[89ab][0-9a-f]:/i.test(host);
  if (
    (isLocalhost && (restrictions.rejectLocalhost ?? true)) ||
    (isLinkLocal && (restrictions.rejectLinkLocal ?? true))
  ) {
    throw new UrlRestrictionError(`Host not allowed: ${host}`);
  }
  const template = restrictions.excludedDomainTemplate ?? defaults.excludedDomainTemplate;
  const excludedDomains = [
    ...(restrictions.excludedDomains ?? defaults.excludedDomains),
    ...(restrictions.excludedDomainsFromEnvironment ?? [])
      .map((name) => environment[name])
      .filter((value): value is string => !!value),
  ];
  const excludedPatterns = [
    ...excludedDomains.map((domain) => template.replace('%s', quote(domain))),
    ...(restrictions.extraExcludedPatterns ?? []),
  ];
  const validHostname =
    fullMatch(allowedHostnamesRegex, host) && !excludedPatterns.some((pattern) => fullMatch(pattern, host));
  // Allowed localhost or link-local takes precedence over the name filter (UserConfiguredUrlRestrictions).
  if (!validHostname && !isIpAddress(host) && !(isLocalhost || isLinkLocal)) {
    throw new UrlRestrictionError(`Host not allowed: ${host}`);
  }
  if ((restrictions.rejectedIps ?? []).length > 0) {
    throw new UrlRestrictionError('the harness does not implement rejectedIps matching');
  }
  return parsed;
}
