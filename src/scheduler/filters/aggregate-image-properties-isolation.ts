import { aggregateMetadata } from './aggregates.js'
import { pyStr } from './extra-specs-ops.js'
import type { HostFilter } from './filter.js'
import { someOf } from './filter.js'

/**
 * A host whose aggregates have metadata `key=v1,v2` takes only images whose property `key`
 * (when set) is one of those values; `aggregate_image_properties_isolation_namespace` and
 * `_separator` restrict which keys count.
 */
export const AggregateImagePropertiesIsolation: HostFilter = {
  name: 'AggregateImagePropertiesIsolation',
  check: ({ spec, options }) => {
    const props = spec.image?.properties ?? {}
    const ns = options.aggregateImagePropertiesIsolationNamespace
    const prefix = ns ? ns + options.aggregateImagePropertiesIsolationSeparator : undefined
    const failing = (h: Parameters<typeof aggregateMetadata>[0]): string | undefined => {
      if (h.aggregates.length === 0) return undefined
      for (const [key, values] of aggregateMetadata(h)) {
        if (prefix && !key.startsWith(prefix)) continue
        const prop = Object.hasOwn(props, key) ? props[key] : undefined
        if (prop && !values.has(pyStr(prop))) return key
      }
      return undefined
    }
    return {
      passes: (h) => failing(h) === undefined,
      why: (rejected) =>
        `their aggregates allow other values of image propert${rejected.length > 1 ? 'ies' : 'y'} ${someOf(
          rejected.map((h) => failing(h) ?? '?'),
        )}`,
    }
  },
}
