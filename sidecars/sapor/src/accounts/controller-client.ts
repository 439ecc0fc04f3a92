// The tunnel controller's control API, for accounts "through agent X": agent credentials and manifest
// (`generateAgentManifestComponents`), a kubeconfig pointing at the controller (`generateKubectlComponents`)
// and revocation (`revokeCertificate`). Through the kit's outbound client, with the control token.
import { X509Certificate } from 'node:crypto';
import { InputError, OutboundError, UnavailableError, jsonOf, outboundRequest } from '@isd/kit';

export interface ControllerClientOptions {
  url: string;
  token: string;
  caFile?: string;
  timeoutMs: number;
}

/** The agent's manifest and the serial of the certificate in it. */
export interface AgentManifest {
  manifest: string;
  serial: string;
}

/** A kubeconfig reaching the agent's `kubernetes` service through the controller. */
export interface TunnelKubeconfig {
  kubeconfig: string;
  /** Serial of its client certificate; absent when the controller issues tokens (which cannot be revoked). */
  serial?: string;
}

/** The agent manifest's own Kubernetes service (controller/src/manifests.ts). */
export const AGENT_KUBERNETES_SERVICE = 'kubernetes';

const MAX_ANSWER_BYTES = 1024 * 1024;

function serialOf(base64Pem: unknown, what: string): string {
  if (typeof base64Pem !== 'string') throw new UnavailableError(`the controller's ${what} has no certificate`);
  try {
    return new X509Certificate(Buffer.from(base64Pem, 'base64').toString('utf8')).serialNumber.toLowerCase();
  } catch (error) {
    throw new UnavailableError(`the controller's ${what} certificate cannot be read: ${(error as Error).message}`, {
      code: 'controller_bad_answer',
    });
  }
}

export class ControllerClient {
  constructor(private readonly options: ControllerClientOptions) {}

  private async call(path: string, body: Record<string, string>, what: string): Promise<Record<string, unknown>> {
    let response;
    try {
      response = await outboundRequest({
        base: this.options.url,
        path,
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.options.token}` },
        body: JSON.stringify(body),
        tls: this.options.caFile ? { caFile: this.options.caFile } : undefined,
        timeoutMs: this.options.timeoutMs,
        maxResponseBytes: MAX_ANSWER_BYTES,
        maxRedirects: 0,
      });
    } catch (error) {
      if (error instanceof OutboundError)
        throw new UnavailableError(`the tunnel controller is unreachable for ${what}: ${error.message}`, {
          code: 'controller_unavailable',
        });
      throw error;
    }
    const answer = jsonOf(response);
    const detail =
      answer && typeof answer === 'object' && 'detail' in answer ? `: ${String(answer.detail).slice(0, 300)}` : '';
    if (response.status === 400)
      throw new InputError(`the tunnel controller refused ${what}${detail}`, {
        code: 'controller_refused',
        issues: [{ path: 'agent.name', message: `refused by the controller${detail}` }],
      });
    if (response.status === 401 || response.status === 403)
      throw new UnavailableError(
        `the tunnel controller refused sapor's control token (${response.status}) for ${what}; check accounts.controller.token`,
        { code: 'controller_auth_refused' },
      );
    if (response.status !== 200 || !answer || typeof answer !== 'object' || Array.isArray(answer))
      throw new UnavailableError(`the tunnel controller answered ${response.status} for ${what}${detail}`, {
        code: 'controller_unavailable',
      });
    return answer as Record<string, unknown>;
  }

  async agentManifest(agentName: string, namespace: string): Promise<AgentManifest> {
    const answer = await this.call(
      'api/v1/generateAgentManifestComponents',
      { agentName, namespace },
      `the manifest of agent ${agentName}`,
    );
    if (typeof answer.manifest !== 'string')
      throw new UnavailableError(`the tunnel controller's answer for agent ${agentName} has no manifest`, {
        code: 'controller_bad_answer',
      });
    return { manifest: answer.manifest, serial: serialOf(answer.agentCertificate, `agent ${agentName}`) };
  }

  async kubeconfig(agentName: string): Promise<TunnelKubeconfig> {
    const answer = await this.call(
      'api/v1/generateKubectlComponents',
      { agentName, name: AGENT_KUBERNETES_SERVICE },
      `a kubeconfig for agent ${agentName}`,
    );
    if (typeof answer.kubeconfig !== 'string')
      throw new UnavailableError(`the tunnel controller's answer for agent ${agentName} has no kubeconfig`, {
        code: 'controller_bad_answer',
      });
    return {
      kubeconfig: answer.kubeconfig,
      serial:
        answer.userCertificate === undefined
          ? undefined
          : serialOf(answer.userCertificate, `kubeconfig of ${agentName}`),
    };
  }

  async revoke(serial: string): Promise<void> {
    await this.call('api/v1/revokeCertificate', { serial }, `revoking certificate ${serial}`);
  }
}
