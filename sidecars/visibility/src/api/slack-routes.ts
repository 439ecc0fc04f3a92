// Slack's interactivity Request URL. Public at the HTTP layer: Slack cannot send Gate's credential, so
// every request proves itself with the app's signing secret instead (SlackInteractions.verify).
import type { HttpApp } from '@isd/kit';
import { z } from 'zod';
import type { SlackInteractions } from '../notifications/slack-interactions';

/** Registers `POST /api/v1/slack/interactions`. */
export function registerSlackRoutes(http: HttpApp, interactions: SlackInteractions): void {
  http.route(
    {
      method: 'post',
      path: '/api/v1/slack/interactions',
      summary:
        'Slack interactivity (form-encoded payload=): Approve/Reject presses open a confirmation; its submission decides as Gate would',
      tags: ['slack'],
      auth: 'public',
      rawBody: true,
      responses: {
        200: {
          description: 'handled; a refused decision is answered as response_action errors shown in the modal',
          schema: z.object({ response_action: z.string().optional() }).optional(),
        },
        400: { description: 'not a Slack interaction payload' },
        401: { description: 'signature missing or wrong, timestamp stale, or a replayed request' },
      },
    },
    async ({ req, rawBody }) => interactions.handle(req.headers, rawBody ?? ''),
  );
}
