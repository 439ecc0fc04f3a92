import { checkName, type CertificateAuthority, type Credentials, type IssueOptions } from './pki';
import { signToken, type TokenKeys } from './jwt';
import { renderAgentManifest, renderKubeconfig } from './manifests';

/** Audience of tokens that reach agent services through the service endpoint. */
export const SERVICE_TOKEN_AUDIENCE = 'isd-tunnel-service';
/** Audience of tokens for the control (CNC) API. */
export const CONTROL_TOKEN_AUDIENCE = 'isd-tunnel-control';

/** Response of generateKubectlComponents (both oes-birger shapes plus a rendered kubeconfig). */
export interface KubectlComponents {
  agentName: string;
  name: string;
  serverUrl: string;
  caCert: string;
  userCertificate?: string;
  userKey?: string;
  token?: string;
  kubeconfig: string;
}

/** What the issuer writes into credentials and manifests. */
export interface IssuerSettings {
  ca: CertificateAuthority;
  tokenKeys: TokenKeys;
  /** Default CNC response shape: oes-birger v3 `cert` or v5 `token`. */
  shape: 'cert' | 'token';
  agentCertLifetimeMs: number;
  serviceCertLifetimeMs: number;
  tokenLifetimeMs: number;
  /** URL callers use (written into kubeconfigs). */
  serviceUrl: string;
  /** host:port agents dial (written into agent manifests). */
  agentAdvertiseAddress: string;
  /** Name the agents expect on the controller's certificate. */
  serverName: string;
  agentImage: string;
}

const base64 = (text: string): string => Buffer.from(text).toString('base64');

/** Issues every credential the controller hands out: certificates, tokens, kubeconfigs, agent manifests. */
export class CredentialIssuer {
  constructor(private readonly settings: IssuerSettings) {}

  get serviceUrl(): string {
    return this.settings.serviceUrl;
  }

  get agentAdvertiseAddress(): string {
    return this.settings.agentAdvertiseAddress;
  }

  async agentCredentials(agentName: string, options: IssueOptions = {}): Promise<Credentials> {
    return this.settings.ca.issue(
      { purpose: 'agent', agent: checkName('agentName', agentName) },
      { lifetimeMs: this.settings.agentCertLifetimeMs, ...options },
    );
  }

  /** A client certificate routing to one agent service only. */
  async serviceCredentials(
    agentName: string,
    type: string,
    name: string,
    options: IssueOptions = {},
  ): Promise<Credentials> {
    return this.settings.ca.issue(
      {
        purpose: 'service',
        agent: checkName('agentName', agentName),
        type: checkName('type', type),
        name: checkName('name', name),
      },
      { lifetimeMs: this.settings.serviceCertLifetimeMs, ...options },
    );
  }

  /** A JWT routing to one agent service only. */
  serviceToken(agentName: string, type: string, name: string, options: { lifetimeMs?: number } = {}): Promise<string> {
    return signToken(
      this.settings.tokenKeys,
      {
        aud: SERVICE_TOKEN_AUDIENCE,
        a: checkName('agentName', agentName),
        t: checkName('type', type),
        n: checkName('name', name),
      },
      options.lifetimeMs ?? this.settings.tokenLifetimeMs,
    );
  }

  controlToken(name: string): Promise<string> {
    return signToken(
      this.settings.tokenKeys,
      { aud: CONTROL_TOKEN_AUDIENCE, n: checkName('name', name) },
      this.settings.tokenLifetimeMs,
    );
  }

  async controlCredentials(name: string): Promise<Credentials & { token: string }> {
    const [credentials, token] = await Promise.all([
      this.settings.ca.issue(
        { purpose: 'control', name: checkName('name', name) },
        { lifetimeMs: this.settings.serviceCertLifetimeMs },
      ),
      this.controlToken(name),
    ]);
    return { ...credentials, token };
  }

  async kubectlComponents(
    agentName: string,
    serviceName: string,
    options: { shape?: 'cert' | 'token'; serviceType?: string } = {},
  ): Promise<KubectlComponents> {
    const { ca, serviceUrl } = this.settings;
    const type = options.serviceType ?? 'kubernetes';
    const common = { agentName, name: serviceName, serverUrl: serviceUrl, caCert: base64(ca.certPem) };
    if ((options.shape ?? this.settings.shape) === 'token') {
      const token = await this.serviceToken(agentName, type, serviceName);
      const user = { token };
      return {
        ...common,
        token,
        kubeconfig: renderKubeconfig({ agentName, serviceName, serverUrl: serviceUrl, caPem: ca.certPem, user }),
      };
    }
    const user = await this.serviceCredentials(agentName, type, serviceName);
    return {
      ...common,
      userCertificate: base64(user.certPem),
      userKey: base64(user.keyPem),
      kubeconfig: renderKubeconfig({ agentName, serviceName, serverUrl: serviceUrl, caPem: ca.certPem, user }),
    };
  }

  async agentManifest(
    agentName: string,
    options: { namespace?: string } = {},
  ): Promise<{ manifest: string } & Credentials> {
    const credentials = await this.agentCredentials(agentName);
    const manifest = renderAgentManifest({
      agentName,
      namespace: options.namespace ?? 'isd-agent',
      image: this.settings.agentImage,
      controllerAddress: this.settings.agentAdvertiseAddress,
      serverName: this.settings.serverName,
      ...credentials,
    });
    return { manifest, ...credentials };
  }
}
