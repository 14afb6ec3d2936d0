/**
 * Glance's side of the validator (`glance/schema.py`): `jsonschema.validate`, so the "best
 * match" among the failures, reported as `InvalidObject` for the named schema. Glance's reason
 * is `str(ex)`, whose multi-line "Failed validating …" tail is left out, as for Keystone.
 */
import { Invalid } from '../shared/errors.js'
import { compileSchema, type JsonSchema } from './engine.js'

/** Glance's `InvalidObject`, a 400. */
export class InvalidObject extends Invalid {
  constructor(schemaName: string, reason: string) {
    super(`Provided object does not match schema '${schemaName}': ${reason}`)
  }
}

export function glanceObject<T = Record<string, unknown>>(
  schemaName: string,
  schema: JsonSchema,
): (instance: unknown) => T {
  const compiled = compileSchema(schema, { dialect: 'draft4', selection: 'best-match' })
  return (instance) => {
    const v = compiled.check(instance)
    if (v) throw new InvalidObject(schemaName, v.message)
    return instance as T
  }
}
