// The patch rules of channel cards (CONTRACT §5, seed 004): only the listed blocks change;
// a kv block takes `rows` (replace) or `append_rows`; a button block patches its buttons one
// by one by id; any other field is set (null removes an optional one). An unknown block or
// button id, or a result that is no longer a valid block, refuses the whole patch.
import { Value } from '@sinclair/typebox/value';
import {
  BadgeBlockSchema,
  ChannelButtonBlockSchema,
  DividerBlockSchema,
  HeadlineBlockSchema,
  ImageBlockSchema,
  KvBlockSchema,
  TextBlockSchema,
  VideoBlockSchema,
  type ChannelBlock,
} from '../../../protocol/src/definition.js';
import type { BlockPatch, StoredChannelBlock } from '../../../protocol/src/channels.js';
import { InvalidInput } from '../errors.js';


type Fields = Record<string, unknown>;

/** Each type's own schema, so an error names the field rather than "no union member". */
const BLOCK_SCHEMAS = {
  headline: HeadlineBlockSchema,
  text: TextBlockSchema,
  badge: BadgeBlockSchema,
  kv: KvBlockSchema,
  image: ImageBlockSchema,
  video: VideoBlockSchema,
  divider: DividerBlockSchema,
  button: ChannelButtonBlockSchema,
} satisfies Record<ChannelBlock['type'], unknown>;

const isObject = (value: unknown): value is Fields => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Sets each field of `patch` on `target`; null removes the field. A `__proto__` field
 * (an own key after JSON.parse) would set the result's prototype instead: refused. */
function merge(target: Fields, patch: Fields, where: string): Fields {
  const result = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    if (key === '__proto__') throw new InvalidInput('invalid_patch', `${where}: "__proto__" is not a field.`);
    if (value === null) delete result[key];
    else result[key] = value;
  }
  return result;
}

function patchButtons(block: Fields, patches: unknown, where: string): Fields {
  if (!Array.isArray(patches)) throw new InvalidInput('invalid_patch', `${where}.buttons must be a list of { id, patch }.`);
  const buttons = [...(block.buttons as Fields[])];
  patches.forEach((item, i) => {
    if (!isObject(item) || typeof item.id !== 'string' || !isObject(item.patch)) {
      throw new InvalidInput('invalid_patch', `${where}.buttons[${i}] must be { id, patch }.`);
    }
    const index = buttons.findIndex((b) => b.id === item.id);
    if (index < 0) throw new InvalidInput('unknown_button', `${where}.buttons[${i}]: the block has no button "${item.id}".`);
    if (Object.hasOwn(item.patch, 'id')) throw new InvalidInput('invalid_patch', `${where}.buttons[${i}]: a button's id cannot change.`);
    buttons[index] = merge(buttons[index] as Fields, item.patch, `${where}.buttons[${i}]`);
  });
  return { ...block, buttons };
}

function patchBlock(block: StoredChannelBlock, patch: Fields, where: string): StoredChannelBlock {
  for (const key of ['id', 'type']) {
    if (Object.hasOwn(patch, key)) throw new InvalidInput('invalid_patch', `${where}: a block's ${key} cannot change.`);
  }
  let result: Fields = block;
  const rest = { ...patch };
  if (block.type === 'kv') {
    if (Object.hasOwn(rest, 'rows') && Object.hasOwn(rest, 'append_rows')) {
      throw new InvalidInput('invalid_patch', `${where}: send either rows (replace them) or append_rows (add to them), not both.`);
    }
    if (Object.hasOwn(rest, 'append_rows')) {
      if (!Array.isArray(rest.append_rows)) throw new InvalidInput('invalid_patch', `${where}.append_rows must be a list of { key, value }.`);
      result = { ...result, rows: [...block.rows, ...rest.append_rows] };
      delete rest.append_rows;
    }
  }
  if (block.type === 'button' && Object.hasOwn(rest, 'buttons')) {
    result = patchButtons(result, rest.buttons, where);
    delete rest.buttons;
  }
  result = merge(result, rest, where);
  const schema = BLOCK_SCHEMAS[block.type];
  if (!Value.Check(schema, result)) {
    const error = Value.Errors(schema, result).First();
    const path = error?.path ? ` at ${error.path}` : '';
    throw new InvalidInput('invalid_patch', `${where} would not be a valid ${block.type} block${path}: ${error?.message ?? 'invalid'}.`);
  }
  return result as StoredChannelBlock;
}

/** The blocks after `patches`; throws (changing nothing) on the first bad one. */
export function applyPatches(blocks: readonly StoredChannelBlock[], patches: readonly BlockPatch[]): StoredChannelBlock[] {
  const result = [...blocks];
  patches.forEach(({ id, patch }, i) => {
    const index = result.findIndex((b) => b.id === id);
    if (index < 0) throw new InvalidInput('unknown_block', `blocks[${i}]: the card has no block "${id}".`);
    result[index] = patchBlock(result[index] as StoredChannelBlock, patch, `blocks[${i}] ("${id}")`);
  });
  return result;
}
