/**
 * The Messaging routes of the embedded Appwrite double: the ones a function needs to send a user an
 * email or SMS and to learn how it went.
 *
 * | route | scope | Appwrite 1.9.6 behaviour imitated |
 * |---|---|---|
 * | `POST /v1/messaging/messages/email` | `messages.write` | 201 `Message`; 400 `message_missing_target`, `message_target_not_email`, `general_argument_invalid`; 404 `storage_bucket_not_found`; 409 `message_already_exists` |
 * | `POST /v1/messaging/messages/sms` | `messages.write` | the same with `message_target_not_sms` (`createSMS` and the deprecated `createSms`) |
 * | `GET /v1/messaging/messages/:messageId` | `messages.read` | 200 `Message`; 404 `message_not_found` |
 *
 * Only API keys hold these scopes, so sessions and guests get 401 `general_unauthorized_scope`.
 *
 * **Delivery.** Appwrite answers `processing` and leaves sending to its messaging worker. The double
 * has no provider, so it plays the worker at once, before the response leaves: every recipient's
 * email or SMS goes to the store's outbox (`store.outbox`), and the stored message ends where the
 * worker would leave it: `sent` with `deliveredTotal`, or `failed` with `No valid recipients found.`
 * when nobody had a target of that type. The 201 still says `processing`, as Appwrite's does, so a
 * caller polling `getMessage` sees the final status on its first look. The double acts as if one
 * enabled provider of each type existed, so Appwrite's `No enabled provider found.` never happens.
 * Drafts and scheduled messages are stored but never delivered: the double has no scheduler.
 *
 * Validation follows the 1.9.6 action (`app/controllers/api/messaging.php`): parameters in their
 * declared order, then the missing-recipient check, then the `targets`/`cc`/`bcc` lookup, then
 * attachments, then the ID clash.
 *
 * @module
 */
import type { Context } from 'hono';
import { requireScope } from './auth.js';
import type { DevAppwriteContext, DevEnv, RouteModule } from './context.js';
import { AppwriteError } from './errors.js';
import { appwriteDate, messageModel } from './models.js';
import type { OutboxEntry } from './outbox.js';
import * as param from './params.js';
import { uniqueId } from './secrets.js';
import type { MessageRecord, MessageStatus, TargetRecord } from './store.js';

/** Appwrite's `Text` limits on the message body (`messaging.php`, both create routes). */
export const messageLimits = {
  /** RFC 5322 line length, which Appwrite applies to the whole subject. */
  subjectLength: 998,
  contentLength: 64_230,
} as const;

/** The worker's status text when no user, target or topic yielded a recipient of the message's type. */
const NO_RECIPIENTS = 'No valid recipients found.';

/** What both create routes share once their own parameters are read. */
interface MessageRequest {
  providerType: MessageRecord['providerType'];
  messageId: string;
  topics: string[];
  users: string[];
  targets: string[];
  draft: boolean;
  scheduledAt: number | null;
  data: Record<string, unknown>;
}

/**
 * Registers the Messaging routes.
 *
 * @example
 * ```ts
 * registerMessagingRoutes(app, ctx); // POST /v1/messaging/messages/email, .../sms, GET .../:messageId
 * ```
 */
export const registerMessagingRoutes: RouteModule = (app, ctx) => {
  const write = requireScope(ctx, 'messages.write');

  app.post('/v1/messaging/messages/email', write, async (c) => {
    const params = await param.readParams(c);
    const messageId = param.customId(param.required(params, 'messageId'), 'messageId');
    const subject = param.text(param.required(params, 'subject'), 'subject', messageLimits.subjectLength);
    const content = param.text(param.required(params, 'content'), 'content', messageLimits.contentLength);
    const topics = param.uidList(params.topics ?? [], 'topics');
    const users = param.uidList(params.users ?? [], 'users');
    const targets = param.uidList(params.targets ?? [], 'targets');
    const cc = param.uidList(params.cc ?? [], 'cc');
    const bcc = param.uidList(params.bcc ?? [], 'bcc');
    const attachments = param.compoundIdList(params.attachments ?? [], 'attachments');
    const draft = param.bool(params.draft ?? false, 'draft');
    const html = param.bool(params.html ?? false, 'html');
    const scheduledAt = param.futureDate(params.scheduledAt, 'scheduledAt', ctx.clock.now());

    const request: MessageRequest = {
      providerType: 'email',
      messageId,
      topics,
      users,
      targets,
      draft,
      scheduledAt,
      // Attachments would be stored as `{ bucketId, fileId }`, but none get this far (see below).
      data: { subject, content, html, cc, bcc, attachments: [] },
    };
    assertRecipients(request);
    // Appwrite checks cc and bcc together with targets, and answers any mismatch as "not an email target".
    assertTargets(ctx, [...targets, ...cc, ...bcc], 'email');
    // The double has no Storage API, so no bucket exists and any attachment fails as a missing bucket would.
    if (attachments.length > 0) throw new AppwriteError('storage_bucket_not_found');
    return create(ctx, c, request);
  });

  app.post('/v1/messaging/messages/sms', write, async (c) => {
    const params = await param.readParams(c);
    const messageId = param.customId(param.required(params, 'messageId'), 'messageId');
    const content = param.text(param.required(params, 'content'), 'content', messageLimits.contentLength);
    const topics = param.uidList(params.topics ?? [], 'topics');
    const users = param.uidList(params.users ?? [], 'users');
    const targets = param.uidList(params.targets ?? [], 'targets');
    const draft = param.bool(params.draft ?? false, 'draft');
    const scheduledAt = param.futureDate(params.scheduledAt, 'scheduledAt', ctx.clock.now());

    const request: MessageRequest = { providerType: 'sms', messageId, topics, users, targets, draft, scheduledAt, data: { content } };
    assertRecipients(request);
    assertTargets(ctx, targets, 'sms');
    return create(ctx, c, request);
  });

  app.get('/v1/messaging/messages/:messageId', requireScope(ctx, 'messages.read'), (c) => {
    const message = ctx.store.messages.get(param.uid(c.req.param('messageId'), 'messageId'));
    if (!message) throw new AppwriteError('message_not_found');
    return c.json(messageModel(message));
  });
};

/** A message that is to be sent, now or later, needs someone to send it to. */
function assertRecipients(request: MessageRequest): void {
  if (!request.draft && request.topics.length === 0 && request.users.length === 0 && request.targets.length === 0) {
    throw new AppwriteError('message_missing_target');
  }
}

/**
 * Every listed target must exist with the message's type. Appwrite compares the number of targets
 * its query found with the length of the list, so a missing ID, one of another type, and even the
 * same ID listed twice all give the same 400.
 */
function assertTargets(ctx: DevAppwriteContext, targetIds: readonly string[], providerType: MessageRecord['providerType']): void {
  if (targetIds.length === 0) return;
  const found = new Set(targetIds.filter((id) => ctx.store.findTarget(id)?.target.providerType === providerType));
  if (found.size !== targetIds.length) throw new AppwriteError(providerType === 'email' ? 'message_target_not_email' : 'message_target_not_sms');
}

function create(ctx: DevAppwriteContext, c: Context<DevEnv>, request: MessageRequest): Response {
  const now = ctx.clock.now();
  const id = request.messageId === 'unique()' ? uniqueId(now) : request.messageId;
  if (ctx.store.messages.has(id)) throw new AppwriteError('message_already_exists');
  const status: MessageStatus = request.draft ? 'draft' : request.scheduledAt === null ? 'processing' : 'scheduled';
  const message: MessageRecord = {
    id,
    createdAt: now,
    updatedAt: now,
    providerType: request.providerType,
    topics: request.topics,
    users: request.users,
    targets: request.targets,
    // Appwrite 1.9.6's SMS route never writes `scheduledAt` into the message (its email and push
    // routes do), so a scheduled SMS reports `null` there; the schedule itself keeps the time.
    scheduledAt: request.providerType === 'email' ? request.scheduledAt : null,
    deliveredAt: null,
    deliveryErrors: null,
    deliveredTotal: 0,
    data: request.data,
    status,
  };
  ctx.store.messages.set(id, message);
  // The answer is taken before delivery: Appwrite's comes back while the message is still queued.
  const body = messageModel(message);
  if (status === 'processing') deliver(ctx, message);
  return c.json(body, 201);
}

/**
 * What Appwrite's messaging worker ends with, done at once: each recipient's delivery into the
 * outbox, then the message's final status.
 */
function deliver(ctx: DevAppwriteContext, message: MessageRecord): void {
  const now = ctx.clock.now();
  // Topics are left out: the double has no Topics API, so a listed topic cannot exist, and a missing
  // topic yields no recipients in Appwrite's worker either.
  const recipients = [...userRecipients(ctx, message), ...targetRecipients(ctx, message)];
  message.updatedAt = now;
  if (recipients.length === 0) {
    // Appwrite leaves `deliveredAt` unset on this path.
    message.status = 'failed';
    message.deliveryErrors = [NO_RECIPIENTS];
    return;
  }
  for (const { userId, target } of recipients) ctx.store.outbox.record(outboxEntry(message, userId, target.identifier, now));
  // With no provider to refuse anything, every recipient counts as delivered, so never a partial `failed`.
  message.status = 'sent';
  message.deliveryErrors = [];
  message.deliveredTotal = recipients.length;
  message.deliveredAt = now;
}

interface Recipient {
  userId: string;
  target: TargetRecord;
}

/**
 * The targets of the listed users that match the message's type. Like the worker, it does not look
 * at whether the user is blocked or the address verified, and a user ID that names nobody adds no
 * recipient rather than an error.
 */
function userRecipients(ctx: DevAppwriteContext, message: MessageRecord): Recipient[] {
  const wanted = new Set(message.users);
  const recipients: Recipient[] = [];
  for (const user of ctx.store.users.values()) {
    if (!wanted.has(user.id)) continue;
    for (const target of user.targets) if (target.providerType === message.providerType) recipients.push({ userId: user.id, target });
  }
  return uniqueIdentifiers(recipients);
}

/** The listed targets, looked up again at delivery as the worker does. */
function targetRecipients(ctx: DevAppwriteContext, message: MessageRecord): Recipient[] {
  const recipients: Recipient[] = [];
  for (const id of new Set(message.targets)) {
    const found = ctx.store.findTarget(id);
    if (found?.target.providerType === message.providerType) recipients.push({ userId: found.user.id, target: found.target });
  }
  return uniqueIdentifiers(recipients);
}

/**
 * The worker removes repeated addresses within each group of recipients it reads (users, then
 * targets) but not across groups, so a user listed both ways is sent to twice, here as there.
 */
function uniqueIdentifiers(recipients: Recipient[]): Recipient[] {
  const seen = new Set<string>();
  return recipients.filter(({ target }) => {
    if (seen.has(target.identifier)) return false;
    seen.add(target.identifier);
    return true;
  });
}

function outboxEntry(message: MessageRecord, userId: string, to: string, now: number): OutboxEntry {
  const { subject, content, html } = message.data as { subject?: string; content: string; html?: boolean };
  const common = { messageId: message.id, channel: message.providerType, userId, to, content, createdAt: appwriteDate(now) };
  return message.providerType === 'email' ? { ...common, subject: subject ?? '', html: html ?? false } : common;
}
