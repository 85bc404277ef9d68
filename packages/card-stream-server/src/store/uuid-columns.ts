// PostgreSQL stores a card's id and its template's id as `uuid` (migration 023): 16 bytes
// in the row and in each index that holds them, where text took 37. A value compared with
// such a column must then be a UUID, or PostgreSQL fails the whole statement ("invalid input
// syntax for type uuid") — and an id comes from the API or the SDK as any string. This plugin
// keeps such a query's answer what it is on SQLite, where the ids are text:
// - compared for (in)equality, a value that is no lowercase UUID becomes the nil UUID, which
//   no card has: `=` and `in` find nothing, `<>` and `not in` everything (an uppercase UUID
//   too: SQLite would not match it either);
// - compared for order (a cursor, a stream filter's `gt`), with such a value the column is
//   compared as text instead.
import {
  BinaryOperationNode,
  CastNode,
  ColumnNode,
  DataTypeNode,
  OperatorNode,
  OperationNodeTransformer,
  PrimitiveValueListNode,
  ReferenceNode,
  ValueListNode,
  ValueNode,
  type KyselyPlugin,
  type OperationNode,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
  type UnknownRow,
} from 'kysely';

/**
 * The columns stored as uuid on PostgreSQL (store/migrations.ts, 023), by name in whatever
 * table: analytics_events and sdk_actions keep theirs as text, but hold only ids of cards,
 * so a value that is no UUID matches nothing there either.
 */
const UUID_COLUMNS: ReadonlySet<string> = new Set(['card_instance_id', 'card_template_id']);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const NIL_UUID = '00000000-0000-0000-0000-000000000000';

/** `value` if it may be compared with a uuid column, else a UUID that matches no card. */
function comparableUuid(value: unknown): unknown {
  return typeof value === 'string' && !UUID.test(value) ? NIL_UUID : value;
}

function columnName(node: OperationNode): string | undefined {
  if (ColumnNode.is(node)) return node.column.name;
  if (ReferenceNode.is(node) && ColumnNode.is(node.column)) return node.column.column.name;
  return undefined;
}

/** Operators under which a value that is no UUID may stand in for the nil UUID. */
const EQUALITY = new Set(['=', '==', '!=', '<>', 'in', 'not in']);

/** `node` with each of its values put through `map`, as a node of its kind; undefined for a node that holds no values. */
function mapValues(node: OperationNode, map: (value: unknown) => unknown): OperationNode | undefined {
  if (ValueNode.is(node)) return ValueNode.create(map(node.value));
  if (PrimitiveValueListNode.is(node)) return PrimitiveValueListNode.create(node.values.map(map));
  if (ValueListNode.is(node)) return ValueListNode.create(node.values.map((v) => (ValueNode.is(v) ? ValueNode.create(map(v.value)) : v)));
  return undefined;
}

class UuidComparisons extends OperationNodeTransformer {
  protected override transformBinaryOperation(node: BinaryOperationNode): BinaryOperationNode {
    const transformed = super.transformBinaryOperation(node);
    const { leftOperand: left, operator, rightOperand: right } = transformed;
    const column = columnName(left);
    if (column === undefined || !UUID_COLUMNS.has(column)) return transformed;
    let unlike = false;
    const safe = mapValues(right, (value) => {
      const comparable = comparableUuid(value);
      if (comparable !== value) unlike = true;
      return comparable;
    });
    if (!safe || !unlike) return transformed;
    if (!OperatorNode.is(operator) || !EQUALITY.has(operator.operator)) {
      return BinaryOperationNode.create(CastNode.create(left, DataTypeNode.create('text')), operator, right);
    }
    return BinaryOperationNode.create(left, operator, safe);
  }
}

/** Added to PostgreSQL's Kysely (store/database.ts): see the file's header. */
export class UuidColumnsPlugin implements KyselyPlugin {
  readonly #transformer = new UuidComparisons();

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return this.#transformer.transformNode(args.node);
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}
