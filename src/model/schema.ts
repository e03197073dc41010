import type Ajv from 'ajv';
import type { ErrorObject, Options, ValidateFunction } from 'ajv';

/**
 * One ajv for every schema that guards a process boundary: the API's route and the consumers'
 * decoder compile the same schema object here, once, so they count and refuse alike: the
 * `graphemes` keyword counts a string's length as a reader does, on both sides.
 */
let ajv: Ajv | undefined;

// Typed here rather than from Node's types: the browser bundle type-checks this module
// through the model's face (it never calls it).
declare const require: (id: 'ajv') => { default: new (options: Options) => Ajv };
const compiled = new WeakMap<object, ValidateFunction>();

/**
 * ajv, loaded on first use: a process that only names the services (the supervisor) never
 * holds it (about 4 MB).
 */
function theAjv(): Ajv {
  if (!ajv) {
    const AjvClass = require('ajv').default;
    // verbose: errors carry their schema, so messages can use a field's description.
    ajv = new AjvClass({
      allErrors: true,
      verbose: true,
      coerceTypes: false,
      removeAdditional: false,
    });
    ajv.addKeyword({
      keyword: 'graphemes',
      type: 'string',
      schemaType: 'object',
      metaSchema: {
        type: 'object',
        required: ['min', 'max'],
        additionalProperties: false,
        properties: { min: { type: 'integer' }, max: { type: 'integer' } },
      },
      validate: (range: GraphemeRange, data: string) => {
        const count = graphemeCount(data, range.max);
        return count >= range.min && count <= range.max;
      },
    });
  }
  return ajv;
}

/** The `graphemes` keyword's value: a string's length in user-perceived characters. */
export interface GraphemeRange {
  readonly min: number;
  readonly max: number;
}

let segmenter: Intl.Segmenter | undefined;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/**
 * User-perceived characters (Unicode extended grapheme clusters, as `Intl.Segmenter` finds
 * them): a family emoji of seven code points is one, `e` and a combining accent is one. With
 * `stopAfter`, counting stops past that many, so an over-long string costs no more than a
 * string just over the limit.
 */
export function graphemeCount(text: string, stopAfter = Infinity): number {
  // Printable ASCII is one character a code unit: most items, counted without segmenting
  // (an order is validated once in the API and again by every consumer).
  if (PRINTABLE_ASCII.test(text)) return Math.min(text.length, stopAfter + 1);
  segmenter ??= new Intl.Segmenter('en', { granularity: 'grapheme' });
  const segments = segmenter.segment(text)[Symbol.iterator]();
  let count = 0;
  while (count <= stopAfter && !segments.next().done) count++;
  return count;
}

/** The validator of a schema, compiled on first use and shared after. */
export function validatorFor(schema: object): ValidateFunction {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = theAjv().compile(schema);
    compiled.set(schema, validate);
  }
  return validate;
}

/**
 * Schema errors in words a user can act on: a field's own `description` when its schema has
 * one (`item must be free of control characters (…)`), else ajv's.
 */
export function describeSchemaErrors(errors: readonly ErrorObject[], root = ''): string {
  const lines = errors.map((e) => {
    const field =
      e.keyword === 'required'
        ? String((e.params as { missingProperty: string }).missingProperty)
        : e.instancePath.slice(1).replace(/\//g, '.');
    const description = (
      e.keyword === 'required' ? undefined : (e.parentSchema as { description?: string })
    )?.description;
    if (field && description) return `${field} must be ${description}`;
    if (e.keyword === 'required') return `${field} is required`;
    if (e.keyword === 'additionalProperties') {
      const extra = (e.params as { additionalProperty: string }).additionalProperty;
      return `${root || 'body'} must NOT have additional properties: "${extra}" is not a field`;
    }
    return `${[root, field].filter(Boolean).join('.') || 'body'} ${e.message ?? 'is not valid'}`;
  });
  return [...new Set(lines)].join('; ');
}
