import { readFileSync } from 'node:fs'
import { isIP } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import ini from 'ini'

/**
 * nova.conf, read as oslo.config reads it: INI groups, `[DEFAULT]` for the top level, several
 * `--config-file`s merged with later files overriding earlier ones, and `$option` substitution
 * (e.g. `connection = sqlite:///$state_path/nova.sqlite`). Every option has Nova's name and default.
 */
export interface Config {
  readonly host: string
  /** This host's IP address (compute reports it as its node's `host_ip`); default: its primary IPv4. */
  readonly my_ip: string
  readonly state_path: string
  readonly transport_url: string
  readonly control_exchange: string
  readonly rpc_response_timeout: number
  readonly report_interval: number
  readonly service_down_time: number
  readonly compute_driver: string
  readonly osapi_compute_listen: string
  readonly osapi_compute_listen_port: number
  readonly debug: boolean
  readonly max_concurrent_builds: number
  readonly default_availability_zone: string
  readonly update_resources_interval: number
  readonly sync_power_state_interval: number
  readonly reserved_host_memory_mb: number
  readonly reserved_host_disk_mb: number
  readonly reserved_host_cpus: number
  /** Unset (null) by default, as in Nova: new compute nodes then take the initial_* ratio. */
  readonly cpu_allocation_ratio: number | null
  readonly ram_allocation_ratio: number | null
  readonly disk_allocation_ratio: number | null
  readonly initial_cpu_allocation_ratio: number
  readonly initial_ram_allocation_ratio: number
  readonly initial_disk_allocation_ratio: number
  readonly database: { readonly connection: string }
  readonly api_database: { readonly connection: string }
  readonly api: { readonly auth_strategy: 'noauth2' | 'keystone'; readonly max_limit: number }
  /** Tokens of the built-in identity service: lifetime in seconds. */
  readonly token: { readonly expiration: number }
  /** The built-in identity service (Keystone v3 subset); `bind_host` empty = `osapi_compute_listen`. */
  readonly identity: {
    readonly bind_host: string
    readonly bind_port: number
    readonly region_name: string
    /** The admin's password for the all-in-one's first start; empty = generate one. */
    readonly bootstrap_password: string
  }
  /** The built-in image service (Glance v2 subset); `bind_host` empty = `osapi_compute_listen`. */
  readonly image: { readonly bind_host: string; readonly bind_port: number }
  readonly glance_store: { readonly filesystem_store_datadir: string }
  /**
   * Where clients authenticate (the 401's `WWW-Authenticate`) and, when `auth_url` is set, the
   * Keystone that validates tokens instead of the built-in one. Empty = the built-in identity.
   */
  readonly keystone_authtoken: { readonly www_authenticate_uri: string; readonly auth_url: string }
  readonly scheduler: { readonly max_attempts: number }
  /** oslo.messaging's RabbitMQ driver options (Nova reads them from this group). */
  readonly oslo_messaging_rabbit: {
    /**
     * oslo.messaging's option: the control exchange and the topic queues (`conductor`,
     * `compute.<host>`, …) are durable and what is sent to them persistent, so queued requests
     * survive a broker restart. Fanout and reply queues stay transient, as in oslo.messaging.
     * Every service on one broker must agree: RabbitMQ refuses a queue re-declared otherwise.
     */
    readonly amqp_durable_queues: boolean
  }
  /**
   * tsnova's own options (not Nova's): the conductor's re-drive of work whose message was lost
   * (a broker restart with transient queues, a dropped reply). Build requests no conductor took,
   * builds a host never started and deletes a host never finished, all unchanged for
   * `redrive_threshold` seconds, are sent again every `redrive_interval` seconds. 0 disables.
   */
  readonly conductor: { readonly redrive_threshold: number; readonly redrive_interval: number }
  readonly filter_scheduler: {
    readonly enabled_filters: readonly string[]
    readonly weight_classes: readonly string[]
    readonly host_subset_size: number
    readonly shuffle_best_same_weighed_hosts: boolean
    readonly max_instances_per_host: number
    readonly max_io_ops_per_host: number
    readonly ram_weight_multiplier: number
    readonly cpu_weight_multiplier: number
    readonly disk_weight_multiplier: number
    readonly io_ops_weight_multiplier: number
    readonly num_instances_weight_multiplier: number
    readonly build_failure_weight_multiplier: number
    readonly soft_affinity_weight_multiplier: number
    readonly soft_anti_affinity_weight_multiplier: number
    readonly aggregate_image_properties_isolation_namespace: string | null
    readonly aggregate_image_properties_isolation_separator: string
    readonly image_properties_default_architecture: string | null
  }
  /** The fake driver's size per host (Nova's FakeDriver reports 1000 vCPUs, 800 GB RAM, 600 TB disk). */
  readonly fake: {
    readonly vcpus: number
    readonly memory_mb: number
    readonly local_gb: number
    /** Seconds a fake spawn takes; 0 is instant. */
    readonly spawn_delay: number
    /** Hosts whose fake driver fails every build (for reschedule tests). */
    readonly fail_build: boolean
  }
}

type Raw = Record<string, Record<string, string>>

const defaults: Raw = {
  DEFAULT: {
    host: '',
    my_ip: '',
    state_path: 'state',
    transport_url: 'memory://',
    control_exchange: 'nova',
    rpc_response_timeout: '60',
    report_interval: '10',
    service_down_time: '60',
    compute_driver: 'fake.FakeDriver',
    osapi_compute_listen: '127.0.0.1',
    osapi_compute_listen_port: '8774',
    debug: 'false',
    max_concurrent_builds: '10',
    default_availability_zone: 'nova',
    update_resources_interval: '60',
    sync_power_state_interval: '600',
    reserved_host_memory_mb: '512',
    reserved_host_disk_mb: '0',
    reserved_host_cpus: '0',
    cpu_allocation_ratio: '',
    ram_allocation_ratio: '',
    disk_allocation_ratio: '',
    initial_cpu_allocation_ratio: '4.0',
    initial_ram_allocation_ratio: '1.0',
    initial_disk_allocation_ratio: '1.0',
  },
  database: { connection: 'sqlite:///$state_path/nova.sqlite' },
  api_database: { connection: 'sqlite:///$state_path/nova_api.sqlite' },
  api: { auth_strategy: 'keystone', max_limit: '1000' },
  token: { expiration: '3600' },
  identity: { bind_host: '', bind_port: '5000', region_name: 'RegionOne', bootstrap_password: '' },
  image: { bind_host: '', bind_port: '9292' },
  glance_store: { filesystem_store_datadir: '$state_path/images' },
  keystone_authtoken: { www_authenticate_uri: '', auth_url: '' },
  scheduler: { max_attempts: '3' },
  oslo_messaging_rabbit: { amqp_durable_queues: 'false' },
  conductor: { redrive_threshold: '60', redrive_interval: '30' },
  filter_scheduler: {
    enabled_filters:
      'ComputeFilter,ComputeCapabilitiesFilter,ImagePropertiesFilter,ServerGroupAntiAffinityFilter,ServerGroupAffinityFilter',
    weight_classes: 'nova.scheduler.weights.all_weighers',
    host_subset_size: '1',
    shuffle_best_same_weighed_hosts: 'false',
    max_instances_per_host: '50',
    max_io_ops_per_host: '8',
    ram_weight_multiplier: '1.0',
    cpu_weight_multiplier: '1.0',
    disk_weight_multiplier: '1.0',
    io_ops_weight_multiplier: '-1.0',
    num_instances_weight_multiplier: '0.0',
    build_failure_weight_multiplier: '1000000.0',
    soft_affinity_weight_multiplier: '1.0',
    soft_anti_affinity_weight_multiplier: '1.0',
    aggregate_image_properties_isolation_namespace: '',
    aggregate_image_properties_isolation_separator: '.',
    image_properties_default_architecture: '',
  },
  fake: { vcpus: '1000', memory_mb: '800000', local_gb: '600000', spawn_delay: '0', fail_build: 'false' },
}

/** Parse and merge config files (later ones win), then apply overrides given in code. */
export function loadConfig(files: readonly string[] = [], overrides: Raw = {}): Config {
  const raw: Raw = structuredClone(defaults)
  for (const file of files) merge(raw, parseIni(readFileSync(file, 'utf8'), file))
  merge(raw, overrides)
  return build(raw)
}

function parseIni(text: string, file: string): Raw {
  let parsed: Record<string, unknown>
  try {
    parsed = ini.parse(text)
  } catch (err) {
    throw new Error(`Cannot parse config file ${file}: ${(err as Error).message}`)
  }
  const out: Raw = {}
  for (const [group, values] of Object.entries(parsed)) {
    if (values && typeof values === 'object') {
      out[group] = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, String(v)]))
    } else {
      // Options before any group header belong to DEFAULT.
      out.DEFAULT ??= {}
      out.DEFAULT[group] = String(values)
    }
  }
  return out
}

function merge(into: Raw, from: Raw): void {
  for (const [group, values] of Object.entries(from)) into[group] = { ...(into[group] ?? {}), ...values }
}

function build(raw: Raw): Config {
  const d = raw.DEFAULT!
  const sub = (v: string): string => v.replace(/\$(\w+)/g, (m, name: string) => d[name] ?? m)
  const get = (group: string, key: string): string => sub(raw[group]?.[key] ?? defaults[group]?.[key] ?? '')
  const num = (group: string, key: string): number => {
    const v = Number(get(group, key))
    if (!Number.isFinite(v))
      throw new Error(`Option [${group}] ${key} must be a number, got '${get(group, key)}'`)
    return v
  }
  const optNum = (group: string, key: string): number | null =>
    get(group, key).trim() === '' ? null : num(group, key)
  const optStr = (group: string, key: string): string | null => get(group, key) || null
  const bool = (group: string, key: string): boolean => /^(true|1|yes|on)$/i.test(get(group, key))
  const list = (group: string, key: string): string[] =>
    get(group, key)
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
  const authStrategy = get('api', 'auth_strategy')
  if (authStrategy !== 'noauth2' && authStrategy !== 'keystone') {
    throw new Error(`Option [api] auth_strategy must be noauth2 or keystone, got '${authStrategy}'`)
  }
  const reportInterval = num('DEFAULT', 'report_interval')
  let serviceDownTime = num('DEFAULT', 'service_down_time')
  // As Nova: a service cannot be judged down before it had the chance to report twice.
  if (serviceDownTime <= reportInterval) serviceDownTime = Math.trunc(reportInterval * 2.5)
  const statePath = path.resolve(get('DEFAULT', 'state_path'))
  d.state_path = statePath
  const myIp = get('DEFAULT', 'my_ip').trim() || defaultMyIp()
  // It becomes compute_nodes.host_ip, an IP address column in Nova: refuse anything else now.
  if (isIP(myIp) === 0) throw new Error(`Option [DEFAULT] my_ip must be an IP address, got '${myIp}'`)
  d.my_ip = myIp
  return {
    host: get('DEFAULT', 'host') || defaultHost(),
    my_ip: myIp,
    state_path: statePath,
    transport_url: get('DEFAULT', 'transport_url'),
    control_exchange: get('DEFAULT', 'control_exchange'),
    rpc_response_timeout: num('DEFAULT', 'rpc_response_timeout'),
    report_interval: reportInterval,
    service_down_time: serviceDownTime,
    compute_driver: get('DEFAULT', 'compute_driver'),
    osapi_compute_listen: get('DEFAULT', 'osapi_compute_listen'),
    osapi_compute_listen_port: num('DEFAULT', 'osapi_compute_listen_port'),
    debug: bool('DEFAULT', 'debug'),
    max_concurrent_builds: num('DEFAULT', 'max_concurrent_builds'),
    default_availability_zone: get('DEFAULT', 'default_availability_zone'),
    update_resources_interval: num('DEFAULT', 'update_resources_interval'),
    sync_power_state_interval: num('DEFAULT', 'sync_power_state_interval'),
    reserved_host_memory_mb: num('DEFAULT', 'reserved_host_memory_mb'),
    reserved_host_disk_mb: num('DEFAULT', 'reserved_host_disk_mb'),
    reserved_host_cpus: num('DEFAULT', 'reserved_host_cpus'),
    cpu_allocation_ratio: optNum('DEFAULT', 'cpu_allocation_ratio'),
    ram_allocation_ratio: optNum('DEFAULT', 'ram_allocation_ratio'),
    disk_allocation_ratio: optNum('DEFAULT', 'disk_allocation_ratio'),
    initial_cpu_allocation_ratio: num('DEFAULT', 'initial_cpu_allocation_ratio'),
    initial_ram_allocation_ratio: num('DEFAULT', 'initial_ram_allocation_ratio'),
    initial_disk_allocation_ratio: num('DEFAULT', 'initial_disk_allocation_ratio'),
    database: { connection: get('database', 'connection') },
    api_database: { connection: get('api_database', 'connection') },
    api: { auth_strategy: authStrategy, max_limit: num('api', 'max_limit') },
    token: { expiration: num('token', 'expiration') },
    identity: {
      bind_host: get('identity', 'bind_host'),
      bind_port: num('identity', 'bind_port'),
      region_name: get('identity', 'region_name'),
      bootstrap_password: get('identity', 'bootstrap_password'),
    },
    image: { bind_host: get('image', 'bind_host'), bind_port: num('image', 'bind_port') },
    glance_store: { filesystem_store_datadir: path.resolve(get('glance_store', 'filesystem_store_datadir')) },
    keystone_authtoken: {
      www_authenticate_uri: get('keystone_authtoken', 'www_authenticate_uri'),
      auth_url: get('keystone_authtoken', 'auth_url'),
    },
    scheduler: { max_attempts: num('scheduler', 'max_attempts') },
    oslo_messaging_rabbit: { amqp_durable_queues: bool('oslo_messaging_rabbit', 'amqp_durable_queues') },
    conductor: {
      redrive_threshold: num('conductor', 'redrive_threshold'),
      redrive_interval: num('conductor', 'redrive_interval'),
    },
    filter_scheduler: {
      enabled_filters: list('filter_scheduler', 'enabled_filters'),
      weight_classes: list('filter_scheduler', 'weight_classes'),
      host_subset_size: num('filter_scheduler', 'host_subset_size'),
      shuffle_best_same_weighed_hosts: bool('filter_scheduler', 'shuffle_best_same_weighed_hosts'),
      max_instances_per_host: num('filter_scheduler', 'max_instances_per_host'),
      max_io_ops_per_host: num('filter_scheduler', 'max_io_ops_per_host'),
      ram_weight_multiplier: num('filter_scheduler', 'ram_weight_multiplier'),
      cpu_weight_multiplier: num('filter_scheduler', 'cpu_weight_multiplier'),
      disk_weight_multiplier: num('filter_scheduler', 'disk_weight_multiplier'),
      io_ops_weight_multiplier: num('filter_scheduler', 'io_ops_weight_multiplier'),
      num_instances_weight_multiplier: num('filter_scheduler', 'num_instances_weight_multiplier'),
      build_failure_weight_multiplier: num('filter_scheduler', 'build_failure_weight_multiplier'),
      soft_affinity_weight_multiplier: num('filter_scheduler', 'soft_affinity_weight_multiplier'),
      soft_anti_affinity_weight_multiplier: num('filter_scheduler', 'soft_anti_affinity_weight_multiplier'),
      aggregate_image_properties_isolation_namespace: optStr(
        'filter_scheduler',
        'aggregate_image_properties_isolation_namespace',
      ),
      aggregate_image_properties_isolation_separator: get(
        'filter_scheduler',
        'aggregate_image_properties_isolation_separator',
      ),
      image_properties_default_architecture: optStr(
        'filter_scheduler',
        'image_properties_default_architecture',
      ),
    },
    fake: {
      vcpus: num('fake', 'vcpus'),
      memory_mb: num('fake', 'memory_mb'),
      local_gb: num('fake', 'local_gb'),
      spawn_delay: num('fake', 'spawn_delay'),
      fail_build: bool('fake', 'fail_build'),
    },
  }
}

function defaultHost(): string {
  return os.hostname()
}

/**
 * Nova's my_ip default is the address of the host's default route; without asking the kernel
 * for routes, the first non-internal IPv4 address is the nearest stand-in.
 */
function defaultMyIp(): string {
  for (const addresses of Object.values(os.networkInterfaces())) {
    for (const a of addresses ?? []) if (a.family === 'IPv4' && !a.internal) return a.address
  }
  return '127.0.0.1'
}
