/**
 * Weighers: each one's raw score, Nova's normalisation (minval/maxval, all-equal → 0), the
 * multipliers (options, aggregate overrides, BuildFailureWeigher's negation), and whole rankings
 * checked against weights computed by hand.
 */
import { describe, expect, it } from 'vitest'
import type { HostState } from '../../src/scheduler/host-state.js'
import {
  ServerGroupSoftAffinityWeigher,
  ServerGroupSoftAntiAffinityWeigher,
} from '../../src/scheduler/weighers/affinity-weighers.js'
import { BuildFailureWeigher } from '../../src/scheduler/weighers/build-failure-weigher.js'
import { IoOpsWeigher } from '../../src/scheduler/weighers/io-ops-weigher.js'
import { NumInstancesWeigher } from '../../src/scheduler/weighers/num-instances-weigher.js'
import { resolveWeighers, WEIGHERS } from '../../src/scheduler/weighers/registry.js'
import { CPUWeigher, DiskWeigher, RAMWeigher } from '../../src/scheduler/weighers/resource-weighers.js'
import {
  type HostWeigher,
  multiplierFor,
  normalize,
  topIndices,
  weighHosts,
} from '../../src/scheduler/weighers/weigher.js'
import { makeHost, makeRequest, type RequestOverrides } from './helpers.js'

/** The weights, with -0 read as 0. */
const weigh = (hosts: HostState[], weighers: HostWeigher[], req: RequestOverrides = {}) =>
  [...weighHosts(hosts, makeRequest(req), weighers)].map((v) => v + 0)

const ranking = (hosts: HostState[], weights: number[]) =>
  topIndices(Float64Array.from(weights), hosts.length).map((i) => hosts[i]!.host)

describe('normalize', () => {
  it.each([
    ['min-max', [10, 20, 30], undefined, undefined, [0, 0.5, 1]],
    ['all equal → 0', [5, 5, 5], undefined, undefined, [0, 0, 0]],
    ['minval 0: v / max', [1000, 2000, 4000], 0, undefined, [0.25, 0.5, 1]],
    ['maxval given', [1, 2], undefined, 4, [0, 1 / 3]],
    ['minval = max → 0', [0, 0], 0, undefined, [0, 0]],
    ['empty', [], undefined, undefined, []],
  ] as const)('%s', (_name, values, minval, maxval, expected) => {
    const out = [...normalize(values, minval, maxval)]
    expect(out).toHaveLength(expected.length)
    for (const [i, v] of out.entries()) expect(v).toBeCloseTo(expected[i]!, 12)
  })
})

describe('each weigher', () => {
  // free RAM 1000, 2000, 4000 MB; minval 0 → 0.25, 0.5, 1.
  const ramHosts = () => [
    makeHost({ host: 'a', memoryMb: 1000 }),
    makeHost({ host: 'b', memoryMb: 2000 }),
    makeHost({ host: 'c', memoryMb: 4000 }),
  ]

  it('RAMWeigher spreads by default: free_ram_mb / max', () => {
    const hosts = ramHosts()
    const w = weigh(hosts, [RAMWeigher])
    expect(w).toEqual([0.25, 0.5, 1])
    expect(ranking(hosts, w)).toEqual(['c', 'b', 'a'])
  })

  it('RAMWeigher stacks with a negative multiplier', () => {
    const hosts = ramHosts()
    const w = weigh(hosts, [RAMWeigher], { options: { ramWeightMultiplier: -1 } })
    expect(w).toEqual([-0.25, -0.5, -1])
    expect(ranking(hosts, w)).toEqual(['a', 'b', 'c'])
  })

  it('RAMWeigher clamps an overcommitted (negative) free_ram_mb to 0', () => {
    const hosts = [makeHost({ memoryMb: 1000, memoryUsedMb: 1500 }), makeHost({ memoryMb: 2000 })]
    expect(weigh(hosts, [RAMWeigher])).toEqual([0, 1])
  })

  it('RAMWeigher uses free RAM net of reserved memory, not ratio-scaled', () => {
    const hosts = [
      makeHost({ memoryMb: 4096, reservedMemoryMb: 2048, ramRatio: 4 }), // 2048 free
      makeHost({ memoryMb: 4096 }), // 4096 free
    ]
    expect(weigh(hosts, [RAMWeigher])).toEqual([0.5, 1])
  })

  it('CPUWeigher: vcpus × cpu_allocation_ratio - used', () => {
    // 8×4-0 = 32, 16×4-48 = 16, 16×1-0 = 16 → 1, 0.5, 0.5
    const hosts = [
      makeHost({ vcpus: 8 }),
      makeHost({ vcpus: 16, vcpusUsed: 48 }),
      makeHost({ vcpus: 16, cpuRatio: 1 }),
    ]
    expect(weigh(hosts, [CPUWeigher])).toEqual([1, 0.5, 0.5])
  })

  it('DiskWeigher: free_disk_mb', () => {
    const hosts = [makeHost({ diskGb: 100, diskUsedGb: 75 }), makeHost({ diskGb: 100 })]
    expect(weigh(hosts, [DiskWeigher])).toEqual([0.25, 1])
  })

  it('IoOpsWeigher prefers idle hosts (multiplier -1.0)', () => {
    const hosts = [makeHost({ numIoOps: 4 }), makeHost({ numIoOps: 1 }), makeHost({ numIoOps: 0 })]
    expect(weigh(hosts, [IoOpsWeigher])).toEqual([-1, -0.25, 0])
  })

  it('NumInstancesWeigher is off by default (0.0), min-max normalised when on', () => {
    const hosts = [
      makeHost({ numInstances: 10 }),
      makeHost({ numInstances: 20 }),
      makeHost({ numInstances: 30 }),
    ]
    expect(weigh(hosts, [NumInstancesWeigher])).toEqual([0, 0, 0])
    expect(weigh(hosts, [NumInstancesWeigher], { options: { numInstancesWeightMultiplier: -2 } })).toEqual([
      0, -1, -2,
    ])
  })

  it('BuildFailureWeigher: failed builds × -1,000,000 (min-max normalised)', () => {
    const hosts = [
      makeHost({ failedBuilds: 0 }),
      makeHost({ failedBuilds: 2 }),
      makeHost({ failedBuilds: 4 }),
    ]
    expect(weigh(hosts, [BuildFailureWeigher])).toEqual([0, -500000, -1000000])
    expect(weigh(hosts, [BuildFailureWeigher], { options: { buildFailureWeightMultiplier: 0 } })).toEqual([
      0, 0, 0,
    ])
  })

  it('ServerGroupSoftAffinityWeigher / SoftAntiAffinityWeigher count group members per host', () => {
    const hosts = [makeHost({ host: 'a' }), makeHost({ host: 'b' }), makeHost({ host: 'c' })]
    const members = { 'm-1': 'a', 'm-2': 'a', 'm-3': 'b' }
    const soft = (policy: string): RequestOverrides => ({
      instance_group: { uuid: 'g', policy, members: Object.keys(members) },
      instanceHosts: members,
    })
    // members per host 2, 1, 0 → min-max → 1, 0.5, 0
    expect(weigh(hosts, [ServerGroupSoftAffinityWeigher], soft('soft-affinity'))).toEqual([1, 0.5, 0])
    // -2, -1, 0 → 0, 0.5, 1
    expect(weigh(hosts, [ServerGroupSoftAntiAffinityWeigher], soft('soft-anti-affinity'))).toEqual([
      0, 0.5, 1,
    ])
    // Not their policy, or no group: no effect.
    expect(weigh(hosts, [ServerGroupSoftAffinityWeigher], soft('soft-anti-affinity'))).toEqual([0, 0, 0])
    expect(weigh(hosts, [ServerGroupSoftAntiAffinityWeigher])).toEqual([0, 0, 0])
  })

  it('a single host weighs 0 (Nova does not weigh a list of one)', () => {
    expect(weigh([makeHost()], WEIGHERS as HostWeigher[])).toEqual([0])
  })
})

describe('multipliers', () => {
  it('an aggregate overrides the option for its hosts; the smallest value wins', () => {
    const inAggr = makeHost({
      aggregates: [
        { name: 'x', metadata: { ram_weight_multiplier: '-2.0' } },
        { name: 'y', metadata: { ram_weight_multiplier: '3' } },
      ],
    })
    expect(multiplierFor(inAggr, 'ram_weight_multiplier', 1)).toBe(-2)
    expect(multiplierFor(makeHost(), 'ram_weight_multiplier', 1)).toBe(1)
    const bad = makeHost({ aggregates: [{ name: 'z', metadata: { ram_weight_multiplier: 'lots' } }] })
    expect(multiplierFor(bad, 'ram_weight_multiplier', 1)).toBe(1)
  })

  it('apply per host when weighing', () => {
    // free RAM 1000 and 2000 → 0.5 and 1; host a's aggregate sets 4 → 2, host b keeps 1 → 1.
    const hosts = [
      makeHost({ memoryMb: 1000, aggregates: [{ name: 'x', metadata: { ram_weight_multiplier: '4' } }] }),
      makeHost({ memoryMb: 2000 }),
    ]
    expect(weigh(hosts, [RAMWeigher])).toEqual([2, 1])
  })
})

describe('all weighers with the default multipliers, against weights computed by hand', () => {
  // h1: RAM 8192 free, CPU 16×4-8 = 56, disk 100 GB, 2 I/O ops, 5 instances
  // h2: RAM 16384,      CPU 16×4-60 = 4, disk 50 GB,  0 I/O ops, 10 instances
  // h3: RAM 4096,       CPU 8×4-0 = 32,  disk 200 GB, 4 I/O ops, 1 instance, 1 failed build
  const hosts = (h3Failed: number) => [
    makeHost({
      host: 'h1',
      memoryMb: 8192,
      vcpus: 16,
      vcpusUsed: 8,
      diskGb: 100,
      numIoOps: 2,
      numInstances: 5,
    }),
    makeHost({
      host: 'h2',
      memoryMb: 16384,
      vcpus: 16,
      vcpusUsed: 60,
      diskGb: 50,
      numIoOps: 0,
      numInstances: 10,
    }),
    makeHost({
      host: 'h3',
      memoryMb: 4096,
      vcpus: 8,
      diskGb: 200,
      numIoOps: 4,
      numInstances: 1,
      failedBuilds: h3Failed,
    }),
  ]
  const all = resolveWeighers(['nova.scheduler.weights.all_weighers'])

  it('without failures: h1 1.5, h2 1.3214, h3 0.8214', () => {
    // RAM   8192/16384 = .5,  1,        4096/16384 = .25
    // CPU   56/56 = 1,        4/56,     32/56
    // Disk  100/200 = .5,     50/200,   1
    // IoOps -(2/4) = -.5,     0,        -1
    const w = weigh(hosts(0), all)
    expect(w[0]).toBeCloseTo(0.5 + 1 + 0.5 - 0.5, 10)
    expect(w[1]).toBeCloseTo(1 + 4 / 56 + 0.25 + 0, 10)
    expect(w[2]).toBeCloseTo(0.25 + 32 / 56 + 1 - 1, 10)
    expect(ranking(hosts(0), w)).toEqual(['h1', 'h2', 'h3'])
  })

  it('a failed build sinks a host whatever its resources', () => {
    const w = weigh(hosts(1), all)
    expect(w[2]).toBeCloseTo(0.25 + 32 / 56 + 1 - 1 - 1_000_000, 6)
    expect(ranking(hosts(1), w)).toEqual(['h1', 'h2', 'h3'])
  })

  it('stacking (RAM multiplier -1) and ignoring I/O turns the order around', () => {
    // h1: -.5 + 1 + .5 = 1;  h2: -1 + 4/56 + .25 = -0.6786;  h3: -.25 + 32/56 + 1 = 1.3214
    const w = weigh(hosts(0), all, { options: { ramWeightMultiplier: -1, ioOpsWeightMultiplier: 0 } })
    expect(w[0]).toBeCloseTo(1, 10)
    expect(w[1]).toBeCloseTo(-1 + 4 / 56 + 0.25, 10)
    expect(w[2]).toBeCloseTo(-0.25 + 32 / 56 + 1, 10)
    expect(ranking(hosts(0), w)).toEqual(['h3', 'h1', 'h2'])
  })
})

describe('topIndices', () => {
  it('ranks heaviest first, earlier first among equals, only the k asked', () => {
    const w = Float64Array.from([1, 3, 2, 3, 0, 2])
    expect(topIndices(w, 6)).toEqual([1, 3, 2, 5, 0, 4])
    expect(topIndices(w, 3)).toEqual([1, 3, 2])
    expect(topIndices(w, 2, new Set([1]))).toEqual([3, 2])
    expect(topIndices(w, 0)).toEqual([])
  })
})

describe('weight_classes', () => {
  it('all_weighers, class paths and class names', () => {
    expect(resolveWeighers(['nova.scheduler.weights.all_weighers']).map((w) => w.name)).toEqual(
      WEIGHERS.map((w) => w.name),
    )
    expect(
      resolveWeighers(['nova.scheduler.weights.ram.RAMWeigher', 'BuildFailureWeigher', 'RAMWeigher']).map(
        (w) => w.name,
      ),
    ).toEqual(['RAMWeigher', 'BuildFailureWeigher'])
  })

  it('an unknown weigher fails, listing the valid ones', () => {
    expect(() => resolveWeighers(['nova.scheduler.weights.metrics.MetricsWeigher'])).toThrow(
      /^Unknown weigher\(s\) in \[filter_scheduler\] weight_classes: nova\.scheduler\.weights\.metrics\.MetricsWeigher\. Valid: nova\.scheduler\.weights\.all_weighers, .*nova\.scheduler\.weights\.ram\.RAMWeigher/,
    )
  })
})
