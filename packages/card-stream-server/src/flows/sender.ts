// Action flows: one request sends a template's card to up to 10,000 users (CONTRACT §5).
// Everything is checked before anything is written, so a refused request changes nothing.
import type { CardStatus, EventSource } from '../../../protocol/src/cards.js';
import { MAX_TARGETS, type SendResult, type SentCard, type UserFlow } from '../../../protocol/src/flows.js';
import type { TemplateRepository, TemplateVersion } from '../templates/repository.js';
import type { CardRow } from '../cards/row.js';
import type { CardRepository } from '../cards/repository.js';
import { InvalidInput, NotFound, InvalidState } from '../errors.js';
import type { AlsoRecord } from '../store/also-record.js';
import { firstCard, flowCard, prepareFlow } from './flow-cards.js';
import type { Content } from '../cards/contents.js';

/** Sends a template's card to the users a request lists (docs/architecture.md, "A send"). */
export class FlowSender {
  constructor(
    private readonly templates: TemplateRepository,
    private readonly cards: CardRepository,
  ) {}

  /** The version a send of `source` uses, or why there is none. */
  async templateFor(templateId: string, source: EventSource): Promise<TemplateVersion> {
    const template = await this.templates.version(templateId, source === 'live' ? 'published' : 'latest');
    if (template === 'no_template') throw new NotFound('template_not_found', `There is no card template ${templateId}.`);
    if (template === 'not_published') {
      throw new InvalidState('template_not_published', 'This template has no published version: publish it, or send a test.');
    }
    return template;
  }

  /** `alsoRecord` writes, in the send's own transaction, what must exist exactly when the cards do. */
  async send(templateId: string, flows: UserFlow[], source: EventSource, alsoRecord?: AlsoRecord<SendResult>): Promise<SendResult> {
    const targetCount = flows.reduce((n, f) => n + f.target.targetUserIds.length, 0);
    if (targetCount > MAX_TARGETS) {
      throw new InvalidInput('too_many_targets', `${targetCount} target users; one request takes at most ${MAX_TARGETS}.`, 'flows');
    }
    const template = await this.templateFor(templateId, source);
    const now = Date.now();
    const first = firstCard();
    const { flowInvocationId } = first;
    const rows: CardRow[] = [];
    const sent: SentCard[] = [];
    const contents: Content[] = [];
    flows.forEach((flow, index) => {
      const prepared = prepareFlow(template, flow, index, now);
      contents.push(prepared.content);
      for (const userId of new Set(flow.target.targetUserIds)) {
        const row = flowCard(prepared, flowInvocationId, source, userId, rows.length === 0 ? first.cardInstanceId : undefined);
        rows.push(row);
        sent.push({ userId, cardInstanceId: row.card_instance_id, lifecycleId: row.lifecycle_id, flowInstanceId: row.flow_instance_id, status: row.status as CardStatus });
      }
    });
    const result: SendResult = { flowInvocationId, cards: sent };
    await this.cards.insert(rows, contents, now, alsoRecord && ((tx) => alsoRecord(tx, result)));
    return result;
  }
}
