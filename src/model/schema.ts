import type Ajv from 'ajv';
import type { ErrorObject, Options, ValidateFunction } from 'ajv';

/**
 * One ajv for every schema that guards a process boundary: the API's route and the consumers'
 * decoder compile the same schema object here, once, so they count and refuse alike (ajv counts
 * string lengths in code points: one emoji is one character on both sides).
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
  }
  return ajv;
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
 * one (`item must be a string of 1 to 200 characters, not only white space`), else ajv's.
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
