import { boolean, float, integer, list, type OptionGroup, optionalString, string } from './types.js'

function weigher(what: string, defaultValue: number, effect: string) {
  return float({
    default: defaultValue,
    help: `Multiplier of the ${what} weigher: ${effect}. An aggregate's metadata key of the same name overrides it for its hosts.`,
  })
}

function resourceWeigher(what: string, resource: string) {
  return weigher(
    what,
    1.0,
    `positive spreads instances over the hosts with the most free ${resource}, negative stacks them`,
  )
}

/** Where servers go: the scheduler's filters and weighers, as Nova's filter scheduler has them. */
export const schedulerGroups = {
  scheduler: {
    help: 'The scheduler.',
    options: {
      max_attempts: integer({
        default: 3,
        min: 1,
        help: 'Attempts to build a server: the scheduler picks one host and max_attempts - 1 alternates to reschedule to.',
      }),
    },
  },
  filter_scheduler: {
    help: "The filters and weighers of the scheduler. The zone and the VCPU/RAM/disk fit (Placement's part in Nova) always run first.",
    options: {
      enabled_filters: list({
        default: [
          'ComputeFilter',
          'ComputeCapabilitiesFilter',
          'ImagePropertiesFilter',
          'ServerGroupAntiAffinityFilter',
          'ServerGroupAffinityFilter',
        ],
        help: 'The filters a host must pass, in order. Also available: AvailabilityZoneFilter, SameHostFilter, DifferentHostFilter, SimpleCIDRAffinityFilter, JsonFilter, NumInstancesFilter, IoOpsFilter, AggregateInstanceExtraSpecsFilter, AggregateMultiTenancyIsolation, AggregateImagePropertiesIsolation.',
      }),
      weight_classes: list({
        default: ['nova.scheduler.weights.all_weighers'],
        help: 'The weighers that rank the hosts left, by class path or name; `nova.scheduler.weights.all_weighers` means RAM, CPU, Disk, IoOps, NumInstances, BuildFailure and ServerGroupSoft(Anti)Affinity.',
      }),
      host_subset_size: integer({
        default: 1,
        min: 1,
        help: 'The scheduler picks at random among this many best-weighed hosts, so concurrent builds spread.',
      }),
      shuffle_best_same_weighed_hosts: boolean({
        default: false,
        help: 'Shuffle the hosts that share the best weight, so builds spread over equal hosts.',
      }),
      max_instances_per_host: integer({
        default: 50,
        min: 1,
        help: 'NumInstancesFilter: the most instances a host may have.',
      }),
      max_io_ops_per_host: integer({
        default: 8,
        min: 0,
        help: 'IoOpsFilter: the most I/O-heavy tasks (builds, resizes, snapshots, …) a host may have under way.',
      }),
      ram_weight_multiplier: resourceWeigher('RAM', 'RAM'),
      cpu_weight_multiplier: resourceWeigher('CPU', 'vCPUs'),
      disk_weight_multiplier: resourceWeigher('Disk', 'disk'),
      io_ops_weight_multiplier: weigher(
        'IoOps',
        -1.0,
        'negative prefers the hosts with the least I/O-heavy work under way, positive the busiest',
      ),
      num_instances_weight_multiplier: weigher(
        'NumInstances',
        0.0,
        'positive prefers the hosts with the most instances, negative the fewest, 0 ignores them',
      ),
      build_failure_weight_multiplier: weigher(
        'BuildFailure',
        1000000.0,
        'how strongly the hosts whose recent builds failed are avoided',
      ),
      soft_affinity_weight_multiplier: float({
        default: 1.0,
        min: 0,
        help: 'Multiplier of the ServerGroupSoftAffinity weigher: how strongly a soft-affinity group’s members go to the host with the most of them.',
      }),
      soft_anti_affinity_weight_multiplier: float({
        default: 1.0,
        min: 0,
        help: 'Multiplier of the ServerGroupSoftAntiAffinity weigher: how strongly a soft-anti-affinity group’s members go to the hosts with the fewest of them.',
      }),
      aggregate_image_properties_isolation_namespace: optionalString({
        help: 'AggregateImagePropertiesIsolation: compare only the image properties and aggregate keys in this namespace; unset compares all.',
      }),
      aggregate_image_properties_isolation_separator: string({
        default: '.',
        help: 'AggregateImagePropertiesIsolation: the separator between the namespace and the rest of a key.',
      }),
      image_properties_default_architecture: optionalString({
        help: "ImagePropertiesFilter: the architecture assumed for an image without `hw_architecture`; unset, such an image's architecture is not checked.",
      }),
    },
  },
} satisfies Record<string, OptionGroup>
