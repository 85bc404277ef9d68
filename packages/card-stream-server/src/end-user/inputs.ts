// Checks the values a submit button sends against the card's `input` blocks (CONTRACT §6):
// the first bad field is named in a 400, so the SDK can point at it.
import type { Block, CardDefinition, InputBlock } from '../../../protocol/src/definition.js';
import { InvalidInput } from '../errors.js';

export type InputValue = string | number | boolean;

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function inputsOf(definition: CardDefinition): Map<string, InputBlock> {
  const blocks: Block[] = [...definition.blocks];
  for (const subview of Object.values(definition.subviews ?? {})) blocks.push(...subview.blocks);
  const inputs = new Map<string, InputBlock>();
  for (const block of blocks) if (block.type === 'input') inputs.set(block.name, block);
  return inputs;
}

const invalid = (name: string, why: string) => new InvalidInput('invalid_input', `The field "${name}" ${why}.`);

export function checkInputValues(definition: CardDefinition, values: Record<string, InputValue>): void {
  const inputs = inputsOf(definition);
  for (const name of Object.keys(values)) {
    if (!inputs.has(name)) throw invalid(name, 'is not an input of this card');
  }
  for (const [name, input] of inputs) {
    const value = Object.hasOwn(values, name) ? values[name] : undefined;
    const empty = value === undefined || value === '' || (input.kind === 'checkbox' && value === false);
    if (empty) {
      if (input.required) throw invalid(name, 'is required');
      continue;
    }
    switch (input.kind) {
      case 'text':
        if (typeof value !== 'string') throw invalid(name, 'must be text');
        if (input.maxLength !== undefined && value.length > input.maxLength) {
          throw invalid(name, `must be at most ${input.maxLength} characters`);
        }
        break;
      case 'number':
        if (!Number.isFinite(typeof value === 'string' ? Number(value) : value) || typeof value === 'boolean') {
          throw invalid(name, 'must be a number');
        }
        break;
      case 'select':
        if (typeof value !== 'string' || !(input.options ?? []).includes(value)) {
          throw invalid(name, `must be one of: ${(input.options ?? []).join(', ')}`);
        }
        break;
      case 'checkbox':
        if (typeof value !== 'boolean') throw invalid(name, 'must be true or false');
        break;
      case 'date':
        if (typeof value !== 'string' || !DATE.test(value) || Number.isNaN(Date.parse(value))) {
          throw invalid(name, 'must be a date as YYYY-MM-DD');
        }
        break;
    }
  }
}
