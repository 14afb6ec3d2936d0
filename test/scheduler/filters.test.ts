/**
 * Each filter against a table of hosts and requests: pass, fail (with the reason the
 * no-valid-host fault shows), or not applicable to the request (skipped, which passes).
 */
import { describe, expect, it } from 'vitest'
import { AggregateImagePropertiesIsolation } from '../../src/scheduler/filters/aggregate-image-properties-isolation.js'
import { AggregateInstanceExtraSpecsFilter } from '../../src/scheduler/filters/aggregate-instance-extra-specs-filter.js'
import { AggregateMultiTenancyIsolation } from '../../src/scheduler/filters/aggregate-multitenancy-isolation.js'
import { AvailabilityZoneFilter } from '../../src/scheduler/filters/availability-zone-filter.js'
import { ComputeCapabilitiesFilter } from '../../src/scheduler/filters/compute-capabilities-filter.js'
import { ComputeFilter } from '../../src/scheduler/filters/compute-filter.js'
import { CoreFilter } from '../../src/scheduler/filters/core-filter.js'
import { DifferentHostFilter } from '../../src/scheduler/filters/different-host-filter.js'
import { DiskFilter } from '../../src/scheduler/filters/disk-filter.js'
import type { HostFilter } from '../../src/scheduler/filters/filter.js'
import { ImagePropertiesFilter } from '../../src/scheduler/filters/image-properties-filter.js'
import { IoOpsFilter } from '../../src/scheduler/filters/io-ops-filter.js'
import { NumInstancesFilter } from '../../src/scheduler/filters/num-instances-filter.js'
import { RamFilter } from '../../src/scheduler/filters/ram-filter.js'
import { SameHostFilter } from '../../src/scheduler/filters/same-host-filter.js'
import { ServerGroupAffinityFilter } from '../../src/scheduler/filters/server-group-affinity-filter.js'
import { ServerGroupAntiAffinityFilter } from '../../src/scheduler/filters/server-group-anti-affinity-filter.js'
import { SimpleCIDRAffinityFilter } from '../../src/scheduler/filters/simple-cidr-affinity-filter.js'
import { type HostSpec, makeHost, makeRequest, NOW, type RequestOverrides } from './helpers.js'

type Expect = 'pass' | 'skip' | RegExp

interface Case {
  readonly name: string
  readonly host?: HostSpec
  readonly req?: RequestOverrides
  /** 'pass', 'skip' (nothing to check for this request), or the reason it fails. */
  readonly expect: Expect
}

function table(filter: HostFilter, cases: readonly Case[]) {
  describe(filter.name, () => {
    it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
      const check = filter.check(makeRequest(c.req))
      if (c.expect === 'skip') {
        expect(check).toBeUndefined()
        return
      }
      expect(check).toBeDefined()
      const host = makeHost(c.host)
      if (c.expect === 'pass') {
        expect(check!.passes(host)).toBe(true)
      } else {
        expect(check!.passes(host)).toBe(false)
        expect(check!.why([host])).toMatch(c.expect)
      }
    })
  })
}

table(ComputeFilter, [
  { name: 'an enabled host heard from 5 s ago', expect: 'pass' },
  {
    name: 'a disabled host, with its reason',
    host: { service: { disabled: true, disabled_reason: 'maintenance' } },
    expect: /^1 disabled \(maintenance\)$/,
  },
  { name: 'a forced-down host', host: { service: { forced_down: true } }, expect: /^1 forced down$/ },
  {
    name: 'a host silent for longer than service_down_time',
    host: { service: { lastSeenMs: NOW - 61_000 } },
    expect: /^1 down \(no heartbeat within service_down_time 60 s, last heard 61 s ago\)$/,
  },
  {
    name: 'service_down_time from the options',
    host: { service: { lastSeenMs: NOW - 61_000 } },
    req: { options: { serviceDownTimeS: 120 } },
    expect: 'pass',
  },
  { name: 'a node without a service row', host: { service: null }, expect: /with no nova-compute service/ },
])

table(CoreFilter, [
  { name: '1 VCPU on an empty host', expect: 'pass' },
  {
    name: 'the ratio counts: 16 × 4 = 64, 63 used, 1 asked',
    host: { vcpusUsed: 63 },
    expect: 'pass',
  },
  { name: 'full at the ratio', host: { vcpusUsed: 64 }, expect: /^needs 1 VCPU, most free is 0$/ },
  {
    name: 'reserved vCPUs are not the guests’: (16 - 4) × 1 = 12 < 16',
    host: { reservedVcpus: 4, cpuRatio: 1 },
    req: { flavor: { vcpus: 16 } },
    expect: /^needs 16 VCPU, most free is 12$/,
  },
])

table(RamFilter, [
  { name: '2 GB on an empty 32 GB host', expect: 'pass' },
  {
    name: 'reserved memory and claims count',
    host: { memoryMb: 4096, reservedMemoryMb: 512, memoryUsedMb: 2048 },
    req: { flavor: { memory_mb: 4096 } },
    expect: /^needs 4096 MB, most free is 1536 MB$/,
  },
  {
    name: 'ram_allocation_ratio 1.5 overcommits',
    host: { memoryMb: 2048, ramRatio: 1.5 },
    req: { flavor: { memory_mb: 3072 } },
    expect: 'pass',
  },
  { name: 'exactly full fits', host: { memoryMb: 4096, memoryUsedMb: 2048 }, expect: 'pass' },
])

table(DiskFilter, [
  { name: 'root disk fits', expect: 'pass' },
  {
    name: 'root + ephemeral + swap (rounded up to GB)',
    host: { diskGb: 30 },
    req: { flavor: { root_gb: 20, ephemeral_gb: 9, swap: 1500 } },
    expect: /^needs 31 GB, most free is 30 GB$/,
  },
])

table(AvailabilityZoneFilter, [
  { name: 'no zone asked', expect: 'skip' },
  { name: 'the default zone "nova"', req: { availability_zone: 'nova' }, expect: 'pass' },
  {
    name: 'another zone, hosts in none',
    req: { availability_zone: 'other' },
    expect: /^requested zone 'other', hosts are in 'nova'$/,
  },
  {
    name: 'default_availability_zone is configurable',
    req: { availability_zone: 'az0', options: { defaultAvailabilityZone: 'az0' } },
    expect: 'pass',
  },
  {
    name: 'a host in a zone aggregate',
    host: { aggregates: [{ name: 'a', metadata: { availability_zone: 'az1' } }] },
    req: { availability_zone: 'az1' },
    expect: 'pass',
  },
  {
    name: 'a host in a zone aggregate is no longer in the default zone',
    host: { aggregates: [{ name: 'a', metadata: { availability_zone: 'az1' } }] },
    req: { availability_zone: 'nova' },
    expect: /hosts are in 'az1'/,
  },
])

table(ComputeCapabilitiesFilter, [
  { name: 'no extra specs', expect: 'skip' },
  {
    name: 'only other scopes (hw:, quota:)',
    req: { flavor: { extra_specs: { 'hw:cpu_policy': 'dedicated' } } },
    expect: 'skip',
  },
  {
    name: 'capabilities:hypervisor_type s== fake',
    req: { flavor: { extra_specs: { 'capabilities:hypervisor_type': 's== fake' } } },
    expect: 'pass',
  },
  {
    name: 'capabilities:hypervisor_type s== kvm',
    req: { flavor: { extra_specs: { 'capabilities:hypervisor_type': 's== kvm' } } },
    expect: /^extra spec capabilities:hypervisor_type='s== kvm' not met \(hosts have 'fake'\)$/,
  },
  {
    name: 'an unscoped key naming a host attribute is checked',
    req: { flavor: { extra_specs: { vcpus_total: '>= 32' } } },
    expect: /vcpus_total='>= 32' not met \(hosts have '16'\)/,
  },
  {
    name: 'an unscoped key naming nothing on the host is ignored',
    req: { flavor: { extra_specs: { trait_foo: 'bar' } } },
    expect: 'pass',
  },
  {
    name: 'a compute stat',
    host: { stats: { gpu: 'tesla' } },
    req: { flavor: { extra_specs: { 'capabilities:gpu': '<or> tesla <or> ampere' } } },
    expect: 'pass',
  },
  {
    name: 'into cpu_info (JSON)',
    req: { flavor: { extra_specs: { 'capabilities:cpu_info:features': '<in> avx2' } } },
    expect: 'pass',
  },
  {
    name: 'a missing capability fails',
    req: { flavor: { extra_specs: { 'capabilities:cpu_info:model': 'Skylake' } } },
    expect: /hosts have nothing/,
  },
  {
    name: 'hw:maxphysaddr_bits becomes a capability check',
    host: { cpuInfo: { maxphysaddr: { bits: 42 } } },
    req: { flavor: { extra_specs: { 'hw:maxphysaddr_bits': '46' } } },
    expect: /maxphysaddr:bits='>= 46'/,
  },
])

table(ImagePropertiesFilter, [
  { name: 'no image properties (none arrive yet)', expect: 'skip' },
  {
    name: 'a host that does not report supported_instances passes',
    req: { image: { properties: { hw_architecture: 'aarch64' } } },
    expect: 'pass',
  },
  {
    name: 'matching arch / hv_type / vm_mode (aliases canonicalised)',
    host: { supportedInstances: [['x86_64', 'kvm', 'hvm']] },
    req: { image: { properties: { hw_architecture: 'amd64', img_hv_type: 'KVM', hw_vm_mode: 'hv' } } },
    expect: 'pass',
  },
  {
    name: 'an arch the host lacks',
    host: { supportedInstances: [['x86_64', 'kvm', 'hvm']] },
    req: { image: { properties: { hw_architecture: 'aarch64' } } },
    expect: /^image wants hw_architecture=aarch64; hosts support x86_64\/kvm\/hvm$/,
  },
  {
    name: 'a host reporting nothing supported refuses',
    host: { supportedInstances: [] },
    req: { image: { properties: { hw_vm_mode: 'hvm' } } },
    expect: /hosts support nothing/,
  },
  {
    name: 'img_hv_requested_version against hypervisor_version 6002001 = 6.2.1',
    host: { supportedInstances: [['x86_64', 'qemu', 'hvm']], hypervisorVersion: 6002001 },
    req: { image: { properties: { img_hv_type: 'qemu', img_hv_requested_version: '>=6.2,<7' } } },
    expect: 'pass',
  },
  {
    name: 'img_hv_requested_version too new',
    host: { supportedInstances: [['x86_64', 'qemu', 'hvm']], hypervisorVersion: 6002001 },
    req: { image: { properties: { img_hv_type: 'qemu', img_hv_requested_version: '>=7.0' } } },
    expect: /img_hv_requested_version >=7.0/,
  },
  {
    name: 'image_properties_default_architecture applies when the image has none',
    host: { supportedInstances: [['x86_64', 'qemu', 'hvm']] },
    req: { image: { properties: {} }, options: { imagePropertiesDefaultArchitecture: 'ppc64le' } },
    expect: /hw_architecture=ppc64le/,
  },
])

table(SameHostFilter, [
  { name: 'no hint', expect: 'skip' },
  {
    name: 'on the host of the named instance',
    host: { host: 'hostA' },
    req: { hints: { same_host: ['i-1'] }, instanceHosts: { 'i-1': 'hostA' } },
    expect: 'pass',
  },
  {
    name: 'a single uuid string works as a list',
    host: { host: 'hostA' },
    req: { hints: { same_host: 'i-1' }, instanceHosts: { 'i-1': 'hostA' } },
    expect: 'pass',
  },
  {
    name: 'elsewhere',
    host: { host: 'hostB' },
    req: { hints: { same_host: ['i-1'] }, instanceHosts: { 'i-1': 'hostA' } },
    expect: /^must share a host with instance\(s\) i-1, on hostA$/,
  },
  {
    name: 'an instance on no host (or unknown)',
    req: { hints: { same_host: ['i-9'] } },
    expect: /^same_host instance\(s\) i-9 run on no host$/,
  },
])

table(DifferentHostFilter, [
  { name: 'no hint', expect: 'skip' },
  {
    name: 'the named instance’s host',
    host: { host: 'hostA' },
    req: { hints: { different_host: ['i-1', 'i-2'] }, instanceHosts: { 'i-1': 'hostA', 'i-2': 'hostC' } },
    expect: /^different_host instance\(s\) i-1, i-2 run there \(hostA\)$/,
  },
  {
    name: 'another host',
    host: { host: 'hostB' },
    req: { hints: { different_host: ['i-1'] }, instanceHosts: { 'i-1': 'hostA' } },
    expect: 'pass',
  },
  {
    name: 'instances on no host: nothing to avoid',
    req: { hints: { different_host: ['i-9'] } },
    expect: 'skip',
  },
])

const near = (hints: Record<string, unknown>): RequestOverrides => ({ hints })

table(SimpleCIDRAffinityFilter, [
  { name: 'no hint', expect: 'skip' },
  { name: 'an empty hint (falsy in Nova)', req: near({ build_near_host_ip: '' }), expect: 'skip' },
  { name: 'an empty list', req: near({ build_near_host_ip: [] }), expect: 'skip' },
  { name: 'a cidr alone', req: near({ cidr: '/8' }), expect: 'skip' },
  {
    name: 'the default /24: same network',
    host: { hostIp: '192.0.2.200' },
    req: near({ build_near_host_ip: '192.0.2.7' }),
    expect: 'pass',
  },
  {
    name: 'the default /24: the next network',
    host: { hostIp: '192.0.3.1' },
    req: near({ build_near_host_ip: '192.0.2.7' }),
    expect: /^host_ip 192\.0\.3\.1 not in 192\.0\.2\.7\/24$/,
  },
  {
    name: 'hints as one-element lists (as the request spec keeps them)',
    host: { hostIp: '192.0.2.200' },
    req: near({ build_near_host_ip: ['192.0.2.7'], cidr: ['/30'] }),
    expect: /^host_ip 192\.0\.2\.200 not in 192\.0\.2\.7\/30$/,
  },
  {
    name: 'a wider cidr',
    host: { hostIp: '192.0.3.1' },
    req: near({ build_near_host_ip: '192.0.2.7', cidr: '/16' }),
    expect: 'pass',
  },
  {
    name: '/32: only that address',
    host: { hostIp: '192.0.2.7' },
    req: near({ build_near_host_ip: '192.0.2.7', cidr: '/32' }),
    expect: 'pass',
  },
  {
    name: '/0: every IPv4 address',
    host: { hostIp: '203.0.113.9' },
    req: near({ build_near_host_ip: '10.0.0.1', cidr: '/0' }),
    expect: 'pass',
  },
  {
    name: 'a netmask instead of a length (netaddr reads both)',
    host: { hostIp: '10.1.200.3' },
    req: near({ build_near_host_ip: '10.1.2.3', cidr: '/255.255.0.0' }),
    expect: 'pass',
  },
  {
    name: 'a hostmask',
    host: { hostIp: '10.2.2.3' },
    req: near({ build_near_host_ip: '10.1.2.3', cidr: '/0.0.255.255' }),
    expect: /^host_ip 10\.2\.2\.3 not in 10\.1\.2\.3\/16$/,
  },
  {
    name: 'IPv6 /64: same network',
    host: { hostIp: '2001:db8:0:1::99' },
    req: near({ build_near_host_ip: '2001:db8:0:1:abcd::1', cidr: '/64' }),
    expect: 'pass',
  },
  {
    name: 'IPv6 /64: another network',
    host: { hostIp: '2001:db8:0:2::99' },
    req: near({ build_near_host_ip: '2001:db8:0:1::1', cidr: '/64' }),
    expect: /^host_ip 2001:db8:0:2::99 not in 2001:db8:0:1::1\/64$/,
  },
  {
    name: 'IPv6 with the default /24',
    host: { hostIp: '2001:dff::1' },
    req: near({ build_near_host_ip: '2001:db8::1' }),
    expect: 'pass',
  },
  {
    name: 'an IPv6 host is never near an IPv4 address',
    host: { hostIp: '::ffff:192.0.2.9' },
    req: near({ build_near_host_ip: '192.0.2.7' }),
    expect: /not in 192\.0\.2\.7\/24$/,
  },
  {
    name: 'a host that reports no host_ip',
    req: near({ build_near_host_ip: '192.0.2.7' }),
    expect: /^1 with no valid host_ip$/,
  },
  {
    name: 'a prefix too long for IPv4: no host (Nova raises)',
    host: { hostIp: '192.0.2.7' },
    req: near({ build_near_host_ip: '192.0.2.7', cidr: '/33' }),
    expect: /^build_near_host_ip 192\.0\.2\.7 with cidr \/33 is not a valid IP network$/,
  },
  {
    name: 'a mask that is neither netmask nor hostmask',
    host: { hostIp: '192.0.2.7' },
    req: near({ build_near_host_ip: '192.0.2.7', cidr: '/255.0.255.0' }),
    expect: /is not a valid IP network$/,
  },
  {
    name: 'not an address',
    host: { hostIp: '192.0.2.7' },
    req: near({ build_near_host_ip: 'near.example.com' }),
    expect: /^build_near_host_ip near\.example\.com with cidr \/24 is not a valid IP network$/,
  },
  {
    name: 'not a string',
    host: { hostIp: '192.0.2.7' },
    req: near({ build_near_host_ip: 42 }),
    expect: /^build_near_host_ip 42 with cidr \/24 is not a valid IP network$/,
  },
])

describe('SimpleCIDRAffinityFilter over many hosts', () => {
  it('names the addresses outside the network and counts the hosts without one', () => {
    const hosts = [
      makeHost({ hostIp: '198.51.100.1' }),
      makeHost({ hostIp: '192.0.2.50' }),
      makeHost({ hostIp: 'garbage' }),
      makeHost(),
      makeHost({ hostIp: '198.51.100.2' }),
    ]
    const check = SimpleCIDRAffinityFilter.check(makeRequest(near({ build_near_host_ip: '192.0.2.1' })))!
    const rejected = hosts.filter((h) => !check.passes(h))
    expect(rejected).toHaveLength(4)
    expect(check.why(rejected)).toBe(
      'host_ip 198.51.100.1, 198.51.100.2 not in 192.0.2.1/24, 2 with no valid host_ip',
    )
  })
})

table(NumInstancesFilter, [
  { name: '49 of 50', host: { numInstances: 49 }, expect: 'pass' },
  {
    name: '50 of 50',
    host: { numInstances: 50 },
    expect: /^max_instances_per_host is 50, they hold up to 50$/,
  },
  {
    name: 'max_instances_per_host 2',
    host: { numInstances: 2 },
    req: { options: { maxInstancesPerHost: 2 } },
    expect: /is 2/,
  },
])

table(IoOpsFilter, [
  { name: '7 of 8', host: { numIoOps: 7 }, expect: 'pass' },
  {
    name: '8 of 8',
    host: { numIoOps: 8 },
    expect: /^max_io_ops_per_host is 8, they run up to 8 I\/O-heavy operations$/,
  },
  {
    name: 'max_io_ops_per_host 1',
    host: { numIoOps: 1 },
    req: { options: { maxIoOpsPerHost: 1 } },
    expect: /is 1/,
  },
])

const group = (policy: string, members: string[], extra = {}) => ({ uuid: 'g-1', policy, members, ...extra })

table(ServerGroupAffinityFilter, [
  { name: 'no group', expect: 'skip' },
  {
    name: 'an anti-affinity group is not ours',
    req: { instance_group: group('anti-affinity', ['m-1']) },
    expect: 'skip',
  },
  {
    name: 'an empty affinity group: anywhere',
    req: { instance_group: group('affinity', []) },
    expect: 'skip',
  },
  {
    name: 'with the members',
    host: { host: 'hostA' },
    req: { instance_group: group('affinity', ['m-1']), instanceHosts: { 'm-1': 'hostA' } },
    expect: 'pass',
  },
  {
    name: 'away from the members',
    host: { host: 'hostB' },
    req: { instance_group: group('affinity', ['m-1']), instanceHosts: { 'm-1': 'hostA' } },
    expect: /^server group g-1 \(affinity\) is on hostA$/,
  },
  {
    name: 'the group’s hosts as the spec carries them',
    host: { host: 'hostB' },
    req: { instance_group: group('affinity', [], { hosts: ['hostB'] }) },
    expect: 'pass',
  },
])

table(ServerGroupAntiAffinityFilter, [
  { name: 'no group', expect: 'skip' },
  {
    name: 'a host without members',
    host: { host: 'hostB' },
    req: { instance_group: group('anti-affinity', ['m-1']), instanceHosts: { 'm-1': 'hostA' } },
    expect: 'pass',
  },
  {
    name: 'a host with a member',
    host: { host: 'hostA' },
    req: { instance_group: group('anti-affinity', ['m-1']), instanceHosts: { 'm-1': 'hostA' } },
    expect:
      /^server group g-1 \(anti-affinity, max_server_per_host 1\) already has up to 1 member\(s\) on each$/,
  },
  {
    name: 'max_server_per_host 2 allows a second',
    host: { host: 'hostA' },
    req: {
      instance_group: group('anti-affinity', ['m-1'], { rules: { max_server_per_host: 2 } }),
      instanceHosts: { 'm-1': 'hostA' },
    },
    expect: 'pass',
  },
  {
    name: 'a move may stay on its own host',
    host: { host: 'hostA' },
    req: {
      instance_uuid: 'm-1',
      instance_group: group('anti-affinity', ['m-1']),
      instanceHosts: { 'm-1': 'hostA' },
    },
    expect: 'pass',
  },
])

table(AggregateInstanceExtraSpecsFilter, [
  { name: 'no extra specs', expect: 'skip' },
  {
    name: 'other scopes only',
    req: { flavor: { extra_specs: { 'hw:mem_page_size': 'large' } } },
    expect: 'skip',
  },
  {
    name: 'a matching aggregate',
    host: { aggregates: [{ name: 'ssd', metadata: { ssd: 'true' } }] },
    req: { flavor: { extra_specs: { 'aggregate_instance_extra_specs:ssd': 'true' } } },
    expect: 'pass',
  },
  {
    name: 'no aggregate: an unscoped spec fails, as in Nova',
    req: { flavor: { extra_specs: { ssd: 'true' } } },
    expect: /does not satisfy ssd='true'/,
  },
])

table(AggregateMultiTenancyIsolation, [
  { name: 'no aggregates', expect: 'pass' },
  {
    name: 'an aggregate for this project',
    host: { aggregates: [{ name: 'a', metadata: { filter_tenant_id: 'project-a,project-b' } }] },
    expect: 'pass',
  },
  {
    name: 'an aggregate for other projects',
    host: { aggregates: [{ name: 'a', metadata: { filter_tenant_id_1: 'project-z' } }] },
    expect: /reserved \(filter_tenant_id\) for other projects than project-a/,
  },
  {
    name: 'an aggregate without tenants',
    host: { aggregates: [{ name: 'a', metadata: { ssd: 'true' } }] },
    expect: 'pass',
  },
])

table(AggregateImagePropertiesIsolation, [
  { name: 'no aggregates', expect: 'pass' },
  {
    name: 'the image property among the aggregate’s values',
    host: { aggregates: [{ name: 'a', metadata: { os_distro: 'ubuntu, debian' } }] },
    req: { image: { properties: { os_distro: 'debian' } } },
    expect: 'pass',
  },
  {
    name: 'another value',
    host: { aggregates: [{ name: 'a', metadata: { os_distro: 'ubuntu' } }] },
    req: { image: { properties: { os_distro: 'windows' } } },
    expect: /os_distro/,
  },
  {
    name: 'keys outside the namespace are ignored',
    host: { aggregates: [{ name: 'a', metadata: { os_distro: 'ubuntu' } }] },
    req: {
      image: { properties: { os_distro: 'windows' } },
      options: { aggregateImagePropertiesIsolationNamespace: 'isolate' },
    },
    expect: 'pass',
  },
])

describe('filters over many hosts', () => {
  it('report the most free among the rejected hosts', () => {
    const hosts = [makeHost({ memoryMb: 1024 }), makeHost({ memoryMb: 2048 }), makeHost({ memoryMb: 512 })]
    const check = RamFilter.check(makeRequest({ flavor: { memory_mb: 4096 } }))!
    expect(hosts.filter((h) => !check.passes(h))).toHaveLength(3)
    expect(check.why(hosts)).toBe('needs 4096 MB, most free is 2048 MB')
  })

  it('count each kind of unavailable compute', () => {
    const hosts = [
      makeHost({ service: { disabled: true } }),
      makeHost({ service: { disabled: true, disabled_reason: 'drain' } }),
      makeHost({ service: { lastSeenMs: NOW - 90_000 } }),
      makeHost({ service: { lastSeenMs: NOW - 70_000 } }),
    ]
    expect(ComputeFilter.check(makeRequest())!.why(hosts)).toBe(
      '2 disabled (drain), 2 down (no heartbeat within service_down_time 60 s, last heard 70 s ago)',
    )
  })
})
