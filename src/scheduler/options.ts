import type { Config } from '../config/config.js'

/** Everything the scheduler reads from nova.conf, under Nova's option names. */
export interface SchedulerOptions {
  readonly cellUuid: string
  /** `[DEFAULT] service_down_time` */
  readonly serviceDownTimeS: number
  /** `[DEFAULT] default_availability_zone`: the zone of hosts in no zone aggregate. */
  readonly defaultAvailabilityZone: string
  /** `[scheduler] max_attempts`: one host and max_attempts - 1 alternates per instance. */
  readonly maxAttempts: number
  readonly enabledFilters: readonly string[]
  readonly weightClasses: readonly string[]
  readonly hostSubsetSize: number
  readonly shuffleBestSameWeighedHosts: boolean
  readonly maxInstancesPerHost: number
  readonly maxIoOpsPerHost: number
  readonly ramWeightMultiplier: number
  readonly cpuWeightMultiplier: number
  readonly diskWeightMultiplier: number
  readonly ioOpsWeightMultiplier: number
  readonly numInstancesWeightMultiplier: number
  readonly buildFailureWeightMultiplier: number
  readonly softAffinityWeightMultiplier: number
  readonly softAntiAffinityWeightMultiplier: number
  readonly aggregateImagePropertiesIsolationNamespace: string | null
  readonly aggregateImagePropertiesIsolationSeparator: string
  readonly imagePropertiesDefaultArchitecture: string | null
  /**
   * Seconds between full re-reads of the host states (the cache is otherwise refreshed from the
   * rows changed since the last look). Not a Nova option: Nova has no such cache.
   */
  readonly hostStateResyncS: number
}

export const DEFAULT_SCHEDULER_OPTIONS: Omit<SchedulerOptions, 'cellUuid'> = {
  serviceDownTimeS: 60,
  defaultAvailabilityZone: 'nova',
  maxAttempts: 3,
  enabledFilters: [
    'ComputeFilter',
    'ComputeCapabilitiesFilter',
    'ImagePropertiesFilter',
    'ServerGroupAntiAffinityFilter',
    'ServerGroupAffinityFilter',
  ],
  weightClasses: ['nova.scheduler.weights.all_weighers'],
  hostSubsetSize: 1,
  shuffleBestSameWeighedHosts: false,
  maxInstancesPerHost: 50,
  maxIoOpsPerHost: 8,
  ramWeightMultiplier: 1.0,
  cpuWeightMultiplier: 1.0,
  diskWeightMultiplier: 1.0,
  ioOpsWeightMultiplier: -1.0,
  numInstancesWeightMultiplier: 0.0,
  buildFailureWeightMultiplier: 1000000.0,
  softAffinityWeightMultiplier: 1.0,
  softAntiAffinityWeightMultiplier: 1.0,
  aggregateImagePropertiesIsolationNamespace: null,
  aggregateImagePropertiesIsolationSeparator: '.',
  imagePropertiesDefaultArchitecture: null,
  hostStateResyncS: 60,
}

/** The scheduler's options from nova.conf. */
export function schedulerOptionsFrom(config: Config, cellUuid: string): SchedulerOptions {
  const f = config.filter_scheduler
  return {
    cellUuid,
    serviceDownTimeS: config.service_down_time,
    defaultAvailabilityZone: config.default_availability_zone,
    maxAttempts: config.scheduler.max_attempts,
    enabledFilters: f.enabled_filters,
    weightClasses: f.weight_classes,
    hostSubsetSize: f.host_subset_size,
    shuffleBestSameWeighedHosts: f.shuffle_best_same_weighed_hosts,
    maxInstancesPerHost: f.max_instances_per_host,
    maxIoOpsPerHost: f.max_io_ops_per_host,
    ramWeightMultiplier: f.ram_weight_multiplier,
    cpuWeightMultiplier: f.cpu_weight_multiplier,
    diskWeightMultiplier: f.disk_weight_multiplier,
    ioOpsWeightMultiplier: f.io_ops_weight_multiplier,
    numInstancesWeightMultiplier: f.num_instances_weight_multiplier,
    buildFailureWeightMultiplier: f.build_failure_weight_multiplier,
    softAffinityWeightMultiplier: f.soft_affinity_weight_multiplier,
    softAntiAffinityWeightMultiplier: f.soft_anti_affinity_weight_multiplier,
    aggregateImagePropertiesIsolationNamespace: f.aggregate_image_properties_isolation_namespace,
    aggregateImagePropertiesIsolationSeparator: f.aggregate_image_properties_isolation_separator,
    imagePropertiesDefaultArchitecture: f.image_properties_default_architecture,
    hostStateResyncS: DEFAULT_SCHEDULER_OPTIONS.hostStateResyncS,
  }
}
