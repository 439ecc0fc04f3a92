// The page an e-mail decision link opens, and its form's POST. Both need a user through Gate: the link
// alone never decides and never identifies anyone.
import type { HttpApp } from '@isd/kit';
import { z } from 'zod';
import { EMAIL_TOKEN_PATTERN, type EmailLinks } from '../notifications/email-links';

const tokenParams = z.strictObject({ token: z.string().regex(EMAIL_TOKEN_PATTERN, 'an e-mail link token') });

/** Registers `GET` and `POST /api/v1/email-decisions/:token`. */
export function registerEmailRoutes(http: HttpApp, links: EmailLinks): void {
  const tags = ['email'];
  const responses = {
    200: { description: 'HTML: the gate and a decision form (GET), or the decision made (POST)' },
    400: { description: 'HTML: the form is missing the action, or a reject has no comment' },
    401: { description: 'not a user through Gate' },
    403: { description: 'HTML: the user may not decide (not an approver, self-approval)' },
    404: { description: 'HTML: unknown link' },
    409: { description: 'HTML: the user already decided' },
    410: { description: 'HTML: the link was used, or the gate is closed or expired' },
  };
  http.route(
    {
      method: 'get',
      path: '/api/v1/email-decisions/:token',
      summary: 'The page an e-mail decision link lands on (decides nothing)',
      tags,
      auth: 'user',
      params: tokenParams,
      responses,
    },
    async ({ params, caller }) => links.page(params.token, caller),
  );
  http.route(
    {
      method: 'post',
      path: '/api/v1/email-decisions/:token',
      summary: "The page's form (action, comment, form-encoded): decides as the signed-in user, once per link",
      tags,
      auth: 'user',
      params: tokenParams,
      rawBody: true,
      responses,
    },
    async ({ params, caller, req, rawBody }) => links.submit(params.token, caller, req.headers, rawBody ?? ''),
  );
}
