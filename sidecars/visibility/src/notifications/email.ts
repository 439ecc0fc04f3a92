// Email through SMTP (nodemailer).
import nodemailer from 'nodemailer';
import type { VisibilityConfig } from '../config';
import type { NotificationMessage } from './messages';

type EmailConfig = NonNullable<VisibilityConfig['notifications']['email']>;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** Sends one notification email to the configured recipients. */
export async function sendEmail(
  config: EmailConfig,
  message: NotificationMessage,
  timeoutMs: number,
  personal?: { to: string; decisionLink: string },
): Promise<void> {
  const transport = nodemailer.createTransport({
    host: config.host,
    port: config.port,
    secure: config.secure,
    ...(config.user && config.password ? { auth: { user: config.user, pass: config.password } } : {}),
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  });
  try {
    const decide = personal
      ? [
          '',
          'Approve or reject (sign in to Spinnaker; the link works once, until the gate closes):',
          personal.decisionLink,
        ]
      : [];
    const text = [...message.lines, ...(message.link ? ['', message.link] : []), ...decide].join('\n');
    const html = `<p>${message.lines.map(escapeHtml).join('<br>')}</p>${message.link ? `<p><a href="${escapeHtml(message.link)}">Open the approval</a></p>` : ''}${personal ? `<p><a href="${escapeHtml(personal.decisionLink)}">Approve or reject</a> (sign in to Spinnaker; the link works once, until the gate closes)</p>` : ''}`;
    await transport.sendMail({
      from: config.from,
      to: personal?.to ?? config.to,
      subject: message.subject,
      text,
      html,
    });
  } finally {
    transport.close();
  }
}
