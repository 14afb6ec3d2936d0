import { hostZones } from './aggregates.js'
import type { HostFilter } from './filter.js'
import { someOf } from './filter.js'

/**
 * The requested availability zone. A host's zones come from its aggregates' `availability_zone`
 * metadata; a host in no zone aggregate is in `default_availability_zone` (`nova`). Nova does
 * this through Placement (`map_az_to_placement_aggregate`), so it always runs here.
 */
export const AvailabilityZoneFilter: HostFilter = {
  name: 'AvailabilityZoneFilter',
  check: ({ spec, options }) => {
    const az = spec.availability_zone
    if (!az) return undefined
    return {
      passes: (h) => hostZones(h, options.defaultAvailabilityZone).has(az),
      why: (rejected) =>
        `requested zone '${az}', hosts are in ${someOf(
          rejected.flatMap((h) => [...hostZones(h, options.defaultAvailabilityZone)].map((z) => `'${z}'`)),
        )}`,
    }
  },
}
