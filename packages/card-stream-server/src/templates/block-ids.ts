// Block ids (CONTRACT §6): a block without one gets a UUID; a block id used twice in one
// card, or a button id used twice in one block, is refused. Templates and channel cards alike.
import { randomUUID } from 'node:crypto';
import { InvalidInput } from '../errors.js';

interface IdentifiedBlock {
  id?: string;
  type: string;
  buttons?: { id: string }[];
}

/** `blocks` with ids filled in; `seen` carries the ids already taken in the card. */
export function withBlockIds<B extends IdentifiedBlock>(blocks: B[], where: string, seen = new Set<string>()): (B & { id: string })[] {
  return blocks.map((block, i) => {
    const id = block.id ?? randomUUID();
    if (seen.has(id)) throw new InvalidInput('duplicate_block_id', `${where}[${i}] repeats the block id "${id}".`);
    seen.add(id);
    const buttonIds = new Set<string>();
    for (const button of block.buttons ?? []) {
      if (buttonIds.has(button.id)) throw new InvalidInput('duplicate_button_id', `${where}[${i}] repeats the button id "${button.id}".`);
      buttonIds.add(button.id);
    }
    return { ...block, id };
  });
}
