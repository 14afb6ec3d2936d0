/**
 * Keystone's side of the validator (`keystone/common/validation/validators.py`): an entity
 * checked against its schema; a failure inside it names the path, one at its top is the bare
 * jsonschema message. Keystone passes `str(ex)`, which goes on with jsonschema's multi-line
 * "Failed validating … On instance …" report (a pprint of the schema); only its first line,
 * the message itself, is given here.
 */
import { ValidationError } from '../identity/errors.js'
import { compileSchema, type JsonSchema } from './engine.js'

export function keystoneEntity<T = Record<string, unknown>>(schema: JsonSchema): (entity: unknown) => T {
  const compiled = compileSchema(schema, { dialect: 'draft4' })
  return (entity) => {
    const v = compiled.check(entity)
    if (!v) return entity as T
    const detail =
      v.path.length > 0 ? `Invalid input for field '${v.path.join('/')}': ${v.message}` : v.message
    throw new ValidationError(detail)
  }
}
