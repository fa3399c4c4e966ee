import { z } from 'zod';

const COMPONENT_PREFIX = '#/components/schemas/';
const PLACEHOLDER_ID = '__route_schema__';
type JsonSchema = Record<string, unknown>;

/**
 * Keeps the generated JSON Schema in the shape of the public contract (a Pydantic-generated
 * document): formats without zod's regex patterns, integers without safe-integer bounds.
 */
function pydanticStyle(ctx: { jsonSchema: JsonSchema }): void {
  const schema = ctx.jsonSchema;
  if (typeof schema.format === 'string') delete schema.pattern;
  if (schema.minimum === Number.MIN_SAFE_INTEGER) delete schema.minimum;
  if (schema.maximum === Number.MAX_SAFE_INTEGER) delete schema.maximum;
}

// Request and response schemas are both rendered in input mode: a field with a default is
// documented as optional with its default, as the execution contract (docs/execution-contract.openapi.json) does for CampaignOut.
const options = {
  target: 'draft-2020-12',
  io: 'input',
  metadata: z.globalRegistry,
  unrepresentable: 'any',
  cycles: 'ref',
  reused: 'inline',
  uri: (id: string) => `${COMPONENT_PREFIX}${id}`,
  override: pydanticStyle,
} as const;

/**
 * zod merges a union of primitives into a `type` list after any override runs; the execution contract
 * spells it `anyOf`. A `type` keyword holding an array can only be that keyword (a property
 * named "type" holds a schema object), so the walk is safe.
 */
function typeListsAsAnyOf(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(typeListsAsAnyOf);
  if (!node || typeof node !== 'object') return node;
  const entries = Object.entries(node).map(([key, value]) => [key, typeListsAsAnyOf(value)] as const);
  const result: JsonSchema = Object.fromEntries(entries);
  if (Array.isArray(result.type)) {
    result.anyOf = result.type.map((type: unknown) => ({ type }));
    delete result.type;
  }
  return result;
}

function stripIdentity(schema: JsonSchema): JsonSchema {
  const { $schema: _schema, id: _id, $id: _dollarId, ...rest } = schema;
  return typeListsAsAnyOf(rest) as JsonSchema;
}

/** A route's zod schema as JSON Schema; schemas registered with an id become `$ref`s. */
export function routeJsonSchema(schema: z.ZodType): JsonSchema {
  const id = z.globalRegistry.get(schema)?.id;
  if (id) return { $ref: `${COMPONENT_PREFIX}${id}` };
  // zod emits `$ref`s to registered schemas only when converting a registry, and only to the
  // schemas of that registry (any other it nests under a `__shared` document that
  // `components.schemas` does not have): the route schema goes through a registry that holds
  // every component as well.
  const registry = z.registry<{ id: string }>();
  for (const [id, component] of z.globalRegistry._idmap) registry.add(component, { id });
  registry.add(schema, { id: PLACEHOLDER_ID });
  const converted = z.toJSONSchema(registry, options).schemas[PLACEHOLDER_ID] as JsonSchema;
  return stripIdentity(converted);
}

/** Every schema registered with an id, for `components.schemas`. */
export function componentSchemas(): Record<string, JsonSchema> {
  const { schemas } = z.toJSONSchema(z.globalRegistry, options);
  return Object.fromEntries(Object.entries(schemas).map(([id, schema]) => [id, stripIdentity(schema as JsonSchema)]));
}
