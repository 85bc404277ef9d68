// A template as it is saved (CONTRACT §6): every block gets an id, ids are unique, subview
// actions point at subviews the definition has, snooze buttons' intervals and card options parse. Checked before anything
// is written, for the templates API and the demo's samples alike.
import type { Block, CardDefinition } from '../../../protocol/src/definition.js';
import type { TemplateInput } from '../../../protocol/src/templates.js';
import { InvalidInput } from '../errors.js';
import { checkCardOptions } from '../cards/card-options.js';
import { withBlockIds } from './block-ids.js';
import { parseDuration } from '../time.js';

/** Gives every block an id and refuses ids used twice, button ids used twice in one block,
 * subview actions that point nowhere and snooze intervals that are no duration. */
function normaliseDefinition(definition: CardDefinition): CardDefinition {
  const seen = new Set<string>();
  const subviews = definition.subviews ?? {};
  const withIds = (blocks: Block[], where: string): Block[] => {
    for (const block of blocks) {
      if (block.type !== 'button') continue;
      for (const button of block.buttons) {
        if (button.action?.type === 'subview' && !Object.hasOwn(subviews, button.action.subviewId)) {
          throw new InvalidInput(
            'unknown_subview',
            `Button "${button.id}" opens subview "${button.action.subviewId}", which the definition lacks.`,
            where,
          );
        }
        // An interval may be a `{{variable}}`, filled at send time; the SDK's snooze then
        // meets the Cards API's check (CONTRACT §3) like any other.
        const interval = button.action?.type === 'snooze' ? button.action.interval : undefined;
        if (interval !== undefined && !interval.includes('{{') && parseDuration(interval) === undefined) {
          throw new InvalidInput(
            'invalid_duration',
            `Button "${button.id}" snoozes for "${interval}", which is no ISO 8601 duration such as PT1H.`,
            where,
          );
        }
      }
    }
    return withBlockIds(blocks, where, seen);
  };
  const result: CardDefinition = { ...definition, blocks: withIds(definition.blocks, 'definition.blocks') };
  if (definition.subviews) {
    result.subviews = Object.fromEntries(
      Object.entries(definition.subviews).map(([id, sv]) => [id, { ...sv, blocks: withIds(sv.blocks, `definition.subviews.${id}.blocks`) }]),
    );
  }
  return result;
}

/** The template as it will be stored, or an InvalidInput naming what is wrong. */
export function normaliseTemplate(input: TemplateInput): TemplateInput {
  checkCardOptions(input.cardOptions, 'cardOptions');
  return { ...input, definition: normaliseDefinition(input.definition) };
}
