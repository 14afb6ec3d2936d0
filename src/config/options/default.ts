import { isIP } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { boolean, float, integer, type OptionGroup, optionalFloat, port, RuleError, string } from './types.js'

/**
 * Nova's my_ip default is the address of the host's default route; without asking the kernel
 * for routes, the first non-internal IPv4 address is the nearest stand-in.
 */
function firstExternalIpv4(): string {
  for (const addresses of Object.values(os.networkInterfaces())) {
    for (const a of addresses ?? []) if (a.family === 'IPv4' && !a.internal) return a.address
  }
  return '127.0.0.1'
}

/** `[DEFAULT]`: the options every service reads, at the top level of the Config. */
export const defaultGroup = {
  DEFAULT: {
    help: 'Options of every service: who this host is, where its state and messages go, its heartbeat and its compute resources.',
    options: {
      host: string({
        default: '',
        sampleDefault: '<current_hostname>',
        help: "Name of this host: it names the service's queues (`compute.<host>`) and its services row, so every compute host needs its own. Empty means the machine's hostname.",
        resolve: (value) => value || os.hostname(),
      }),
      my_ip: string({
        default: '',
        sampleDefault: '<host_ipv4>',
        help: "IP address of this host, reported by nova-compute as its compute node's `host_ip`. Empty means the machine's first non-loopback IPv4 address.",
        resolve: (value) => {
          const ip = value.trim() || firstExternalIpv4()
          // It becomes compute_nodes.host_ip, an IP address column in Nova: refuse anything else now.
          if (isIP(ip) === 0) throw new RuleError('an IP address')
          return ip
        },
      }),
      state_path: string({
        default: 'state',
        help: "Directory of the service's state: the all-in-one's SQLite databases, image data and `openrc`. A relative path is taken from the working directory.",
        resolve: (value) => path.resolve(value),
      }),
      transport_url: string({
        default: 'memory://',
        secret: true,
        help: "Where RPC messages go: `rabbit://user:pass@host:5672/vhost` for RabbitMQ, or `memory://` for the all-in-one's in-process bus.",
      }),
      control_exchange: string({
        default: 'nova',
        help: 'The exchange the RPC topics (`conductor`, `scheduler`, `compute.<host>`) are bound to.',
      }),
      rpc_response_timeout: integer({
        default: 60,
        min: 1,
        help: 'Seconds an RPC call waits for its reply before it fails.',
      }),
      report_interval: integer({
        default: 10,
        help: 'Seconds between the heartbeats a service writes to its services row; 0 or less turns the heartbeat off.',
      }),
      service_down_time: integer({
        default: 60,
        help: 'Seconds without a heartbeat after which a service counts as down. A value not above report_interval is raised to 2.5 × report_interval, as Nova does.',
        resolve: (value, other) => {
          const reportInterval = Number(other('DEFAULT', 'report_interval'))
          // As Nova: a service cannot be judged down before it had the chance to report twice.
          return value <= reportInterval ? Math.trunc(reportInterval * 2.5) : value
        },
      }),
      compute_driver: string({
        default: 'fake.FakeDriver',
        help: 'The hypervisor driver of nova-compute; tsnova has one, `fake.FakeDriver` (or `fake`).',
      }),
      osapi_compute_listen: string({
        default: '127.0.0.1',
        help: 'Address the compute API listens on (also the identity and image services when their bind_host is empty).',
      }),
      osapi_compute_listen_port: port({
        default: 8774,
        help: 'Port the compute API listens on.',
      }),
      debug: boolean({
        default: false,
        help: 'Log at debug level rather than info (the environment variable `TSNOVA_LOG_LEVEL` wins over it).',
      }),
      max_concurrent_builds: integer({
        default: 10,
        min: 0,
        help: 'How many builds a compute host runs at once; 0 means no limit.',
      }),
      default_availability_zone: string({
        default: 'nova',
        help: 'The availability zone of compute hosts that are in no zone aggregate.',
      }),
      update_resources_interval: integer({
        default: 60,
        help: "Seconds between a compute host's refreshes of its resource usage (update_available_resource); 0 or less turns them off.",
      }),
      shutdown_timeout: integer({
        default: 60,
        min: 0,
        help: "Seconds a stop waits for the guest to shut down cleanly before the hypervisor forces it off (the fake driver's guests stop at once).",
      }),
      sync_power_state_interval: integer({
        default: 600,
        help: "Seconds between a compute host's syncs of instance power states with the hypervisor; 0 or less turns them off.",
      }),
      reserved_host_memory_mb: integer({
        default: 512,
        min: 0,
        help: 'Memory (MB) a compute host keeps for itself and never gives to instances.',
      }),
      reserved_host_disk_mb: integer({
        default: 0,
        min: 0,
        help: 'Disk (MB) a compute host keeps for itself and never gives to instances.',
      }),
      reserved_host_cpus: integer({
        default: 0,
        min: 0,
        help: 'Host CPUs a compute host keeps for itself and never gives to instances.',
      }),
      cpu_allocation_ratio: optionalFloat({
        min: 0,
        help: 'Virtual CPUs a compute host may hand out per physical CPU. Unset (or 0.0), the host uses initial_cpu_allocation_ratio.',
      }),
      ram_allocation_ratio: optionalFloat({
        min: 0,
        help: 'Virtual RAM a compute host may hand out per MB of physical RAM. Unset (or 0.0), the host uses initial_ram_allocation_ratio.',
      }),
      disk_allocation_ratio: optionalFloat({
        min: 0,
        help: 'Virtual disk a compute host may hand out per GB of physical disk. Unset (or 0.0), the host uses initial_disk_allocation_ratio.',
      }),
      initial_cpu_allocation_ratio: float({
        default: 4.0,
        min: 0,
        help: 'The CPU allocation ratio of a host whose cpu_allocation_ratio is unset.',
      }),
      initial_ram_allocation_ratio: float({
        default: 1.0,
        min: 0,
        help: 'The RAM allocation ratio of a host whose ram_allocation_ratio is unset.',
      }),
      initial_disk_allocation_ratio: float({
        default: 1.0,
        min: 0,
        help: 'The disk allocation ratio of a host whose disk_allocation_ratio is unset.',
      }),
    },
  },
} satisfies Record<string, OptionGroup>
