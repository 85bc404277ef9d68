// What a card offers its end user (CONTRACT §6): the SDK's controls follow the definition,
// and so does the end-user API, so a user with their own token can do exactly what their
// card shows and no more. (The Cards API, with platform credentials, may act on any card.)
import type { Block, Button, ButtonAction, CardDefinition } from '../../../protocol/src/definition.js';
import type { SdkActionRequest } from '../../../protocol/src/sdk.js';
import { Forbidden } from '../errors.js';

interface PlacedButton {
  blockId: string | undefined;
  button: Button;
}

/** Every button of the card, in its blocks and its subviews. */
function buttonsOf(definition: CardDefinition): PlacedButton[] {
  const blocks: Block[] = [...definition.blocks, ...Object.values(definition.subviews ?? {}).flatMap((subview) => subview.blocks)];
  return blocks.flatMap((block) => (block.type === 'button' ? block.buttons.map((button) => ({ blockId: block.id, button })) : []));
}

const hasAction = (definition: CardDefinition, offers: (action: ButtonAction) => boolean) =>
  buttonsOf(definition).some(({ button }) => !button.disabled && button.action !== undefined && offers(button.action));

const refuse = (message: string) => new Forbidden('action_not_offered', message);

/** The enabled button `buttonId` (in block `blockId`, when given), or a refusal. */
function pressable(definition: CardDefinition, buttonId: string | undefined, blockId?: string): Button {
  const found = buttonsOf(definition).find((b) => b.button.id === buttonId && (blockId === undefined || b.blockId === blockId));
  if (!found) throw refuse(`This card has no button "${buttonId}"${blockId === undefined ? '' : ` in block "${blockId}"`}.`);
  if (found.button.disabled) throw refuse(`The button "${buttonId}" is disabled.`);
  return found.button;
}

/**
 * Refuses what the card's definition does not offer: a dismiss of a card that is not
 * dismissible (and has no dismiss button), a snooze of one that is not snoozable (unless a
 * snooze button offers that interval), a vote its `voting` does not allow, an interaction
 * with a button it lacks or that has an action, a completion without its enabled submit button.
 * Returns, for a completion, the pressed submit button's payload.
 */
export function checkOffered(definition: CardDefinition, request: SdkActionRequest): { submitPayload?: unknown } {
  switch (request.type) {
    case 'dismiss':
      if (definition.dismissible === false && !hasAction(definition, (a) => a.type === 'dismiss')) {
        throw refuse('This card cannot be dismissed.');
      }
      return {};
    case 'snooze':
      if (definition.snoozable === false && !hasAction(definition, (a) => a.type === 'snooze' && a.interval === request.interval)) {
        throw refuse('This card cannot be snoozed for that long.');
      }
      return {};
    case 'vote': {
      const voting = definition.voting ?? 'none';
      const allowed = voting === 'both' || (voting === 'useful' && request.direction === 'up') || (voting === 'notUseful' && request.direction === 'down');
      if (!allowed) throw refuse(`This card does not take a vote ${request.direction}.`);
      return {};
    }
    case 'interaction': {
      const button = pressable(definition, request.buttonId, request.blockId);
      if (button.action) throw refuse(`The button "${button.id}" has an action; only buttons without one record interactions.`);
      return {};
    }
    case 'complete': {
      if (request.buttonId === undefined) throw refuse('A completion names the submit button pressed ("buttonId").');
      const button = pressable(definition, request.buttonId);
      if (button.action?.type !== 'submit') throw refuse(`The button "${button.id}" does not submit the card.`);
      return { submitPayload: button.action.payload };
    }
  }
}

/** Whether the card takes an uploaded vote event (`card-voted-up` / `card-voted-down`). */
export function offersVote(definition: CardDefinition, direction: 'up' | 'down'): boolean {
  try {
    checkOffered(definition, { id: '', type: 'vote', direction });
    return true;
  } catch {
    return false;
  }
}
