/**
 * Per-aggregate weight multipliers (Nova's `get_weight_multiplier`): for every weigher, an
 * aggregate's metadata key of the option's name replaces the option for its hosts; several
 * aggregates → the smallest; a value that is not a number → a warning and the option. The
 * multiplier scales the host's normalised score (normalisation is over all hosts, as in Nova's
 * `get_weighed_objects`). Weights and rankings below are computed by hand.
 */
import { describe, expect, it } from 'vitest'
import type { AggregateInfo, HostState } from '../../src/scheduler/host-state.js'
import {
  ServerGroupSoftAffinityWeigher,
  ServerGroupSoftAntiAffinityWeigher,
} from '../../src/scheduler/weighers/affinity-weighers.js'
import { BuildFailureWeigher } from '../../src/scheduler/weighers/build-failure-weigher.js'
import { IoOpsWeigher } from '../../src/scheduler/weighers/io-ops-weigher.js'
import { NumInstancesWeigher } from '../../src/scheduler/weighers/num-instances-weigher.js'
import { CPUWeigher, DiskWeigher, RAMWeigher } from '../../src/scheduler/weighers/resource-weighers.js'
import {
  type HostWeigher,
  multiplierFor,
  parseMultiplier,
  topIndices,
  weighHosts,
} from '../../src/scheduler/weighers/weigher.js'
import type { Logger } from '../../src/shared/logger.js'
import { type HostSpec, makeHost, makeRequest, type RequestOverrides } from './helpers.js'

type Metadata = Record<string, string>

/** Three hosts a, b, c; `aggregates` gives each host's aggregates' metadata. */
function hosts(
  specs: [HostSpec, HostSpec, HostSpec],
  aggregates: Partial<Record<'a' | 'b' | 'c', Metadata[]>>,
) {
  return (['a', 'b', 'c'] as const).map((name, i) =>
    makeHost({
      ...specs[i],
      host: name,
      aggregates: (aggregates[name] ?? []).map((metadata, j) => ({ name: `${name}-aggr${j}`, metadata })),
    }),
  )
}

function weigh(list: HostState[], weigher: HostWeigher, req: RequestOverrides = {}) {
  const weights = weighHosts(list, makeRequest(req), [weigher])
  return {
    weights: [...weights].map((v) => v + 0), // -0 read as 0
    ranking: topIndices(weights, list.length).map((i) => list[i]!.host),
  }
}

const members = { 'm-1': 'a', 'm-2': 'a', 'm-3': 'b' }
const group = (policy: string): RequestOverrides => ({
  instance_group: { uuid: 'g', policy, members: Object.keys(members) },
  instanceHosts: members,
})

interface Case {
  readonly weigher: HostWeigher
  readonly specs: [HostSpec, HostSpec, HostSpec]
  readonly req?: RequestOverrides
  /** Weights and ranking with the option's default multiplier. */
  readonly byOption: readonly [number[], string[]]
  /** The aggregates that override it, and the weights and ranking then. */
  readonly aggregates: Partial<Record<'a' | 'b' | 'c', Metadata[]>>
  readonly byAggregate: readonly [number[], string[]]
}

const cases: Case[] = [
  {
    // free RAM 4000, 2000, 1000 MB; minval 0 → 1, .5, .25. a's aggregate stacks (-1).
    weigher: RAMWeigher,
    specs: [{ memoryMb: 4000 }, { memoryMb: 2000 }, { memoryMb: 1000 }],
    byOption: [
      [1, 0.5, 0.25],
      ['a', 'b', 'c'],
    ],
    aggregates: { a: [{ ram_weight_multiplier: '-1' }] },
    byAggregate: [
      [-1, 0.5, 0.25],
      ['b', 'c', 'a'],
    ],
  },
  {
    // free vCPUs 16×4, 8×4, 4×4 = 64, 32, 16 → 1, .5, .25. a is in two aggregates: min(.25, 3).
    weigher: CPUWeigher,
    specs: [{ vcpus: 16 }, { vcpus: 8 }, { vcpus: 4 }],
    byOption: [
      [1, 0.5, 0.25],
      ['a', 'b', 'c'],
    ],
    aggregates: { a: [{ cpu_weight_multiplier: '0.25' }, { cpu_weight_multiplier: '3' }] },
    byAggregate: [
      [0.25, 0.5, 0.25],
      ['b', 'a', 'c'],
    ],
  },
  {
    // free disk 1000, 500, 250 GB → 1, .5, .25. a's aggregate ignores disk (0).
    weigher: DiskWeigher,
    specs: [{ diskGb: 1000 }, { diskGb: 500 }, { diskGb: 250 }],
    byOption: [
      [1, 0.5, 0.25],
      ['a', 'b', 'c'],
    ],
    aggregates: { a: [{ disk_weight_multiplier: '0' }] },
    byAggregate: [
      [0, 0.5, 0.25],
      ['b', 'c', 'a'],
    ],
  },
  {
    // I/O ops 4, 2, 0; minval 0 → 1, .5, 0; option -1.0. a's aggregate prefers busy hosts (+1).
    weigher: IoOpsWeigher,
    specs: [{ numIoOps: 4 }, { numIoOps: 2 }, { numIoOps: 0 }],
    byOption: [
      [-1, -0.5, 0],
      ['c', 'b', 'a'],
    ],
    aggregates: { a: [{ io_ops_weight_multiplier: '1' }] },
    byAggregate: [
      [1, -0.5, 0],
      ['a', 'c', 'b'],
    ],
  },
  {
    // instances 10, 5, 0 → min-max 1, .5, 0; option 0.0 (off), yet b's aggregate turns it on (2).
    weigher: NumInstancesWeigher,
    specs: [{ numInstances: 10 }, { numInstances: 5 }, { numInstances: 0 }],
    byOption: [
      [0, 0, 0],
      ['a', 'b', 'c'],
    ],
    aggregates: { b: [{ num_instances_weight_multiplier: '2' }] },
    byAggregate: [
      [0, 1, 0],
      ['b', 'a', 'c'],
    ],
  },
  {
    // failed builds 2, 1, 0 → 1, .5, 0; × -1,000,000. a's aggregate forgives failures (0, negated: 0).
    weigher: BuildFailureWeigher,
    specs: [{ failedBuilds: 2 }, { failedBuilds: 1 }, { failedBuilds: 0 }],
    byOption: [
      [-1_000_000, -500_000, 0],
      ['c', 'b', 'a'],
    ],
    aggregates: {
      a: [{ build_failure_weight_multiplier: '0' }],
      b: [{ build_failure_weight_multiplier: '10' }],
    },
    byAggregate: [
      [0, -5, 0],
      ['a', 'c', 'b'],
    ],
  },
  {
    // group members per host 2, 1, 0 → 1, .5, 0. a's aggregate repels the group (-1).
    weigher: ServerGroupSoftAffinityWeigher,
    specs: [{}, {}, {}],
    req: group('soft-affinity'),
    byOption: [
      [1, 0.5, 0],
      ['a', 'b', 'c'],
    ],
    aggregates: { a: [{ soft_affinity_weight_multiplier: '-1' }] },
    byAggregate: [
      [-1, 0.5, 0],
      ['b', 'c', 'a'],
    ],
  },
  {
    // -(members) -2, -1, 0 → 0, .5, 1. c's aggregate damps it (0.25).
    weigher: ServerGroupSoftAntiAffinityWeigher,
    specs: [{}, {}, {}],
    req: group('soft-anti-affinity'),
    byOption: [
      [0, 0.5, 1],
      ['c', 'b', 'a'],
    ],
    aggregates: { c: [{ soft_anti_affinity_weight_multiplier: '0.25' }] },
    byAggregate: [
      [0, 0.5, 0.25],
      ['b', 'c', 'a'],
    ],
  },
]

describe.each(cases.map((c) => [c.weigher.name, c] as const))('%s', (_name, c) => {
  it('uses the option for hosts in no aggregate that sets it', () => {
    const [weights, ranking] = c.byOption
    expect(weigh(hosts(c.specs, {}), c.weigher, c.req)).toEqual({ weights, ranking })
  })

  it(`uses the aggregate's ${c.weigher.multiplierOption} for its hosts`, () => {
    const [weights, ranking] = c.byAggregate
    expect(weigh(hosts(c.specs, c.aggregates), c.weigher, c.req)).toEqual({ weights, ranking })
  })

  it('ignores aggregates setting other keys', () => {
    const others = { a: [{ unrelated_weight_multiplier: '-100', availability_zone: 'az1' }] }
    const [weights, ranking] = c.byOption
    expect(weigh(hosts(c.specs, others), c.weigher, c.req)).toEqual({ weights, ranking })
  })
})

describe('multiplierFor (get_weight_multiplier)', () => {
  const host = (...metadata: Metadata[]) =>
    makeHost({ aggregates: metadata.map((m, i) => ({ name: `aggr${i}`, metadata: m })) })
  const key = 'ram_weight_multiplier'

  it.each<[string, Metadata[], number]>([
    ['no aggregate', [], 1.5],
    ['an aggregate without the key', [{ other: '3' }], 1.5],
    ['one aggregate', [{ [key]: '-2.0' }], -2],
    ['several: the smallest', [{ [key]: '3' }, { [key]: '-0.5' }, { [key]: '2e1' }], -0.5],
    ['the same value twice', [{ [key]: '4' }, { [key]: '4' }], 4],
    ['blanks around the number', [{ [key]: ' 2.5 ' }], 2.5],
    ["Python's digit separators", [{ [key]: '1_000' }], 1000],
    ['a leading dot', [{ [key]: '.5' }], 0.5],
  ])('%s', (_name, metadata, expected) => {
    expect(multiplierFor(host(...metadata), key, 1.5)).toBe(expected)
  })

  it.each([
    ['a word', 'lots'],
    ['empty', ''],
    ['hexadecimal', '0x10'],
    ['infinite', 'inf'],
    ['not a number', 'nan'],
    ['overflowing', '1e999'],
    ['two numbers', '1,2'],
  ])('%s: the option, and the culprit reported', (_name, value) => {
    const reported: string[] = []
    // One bad value voids the others too, as Nova's cast of the whole set fails.
    const h = host({ [key]: '-3' }, { [key]: value })
    expect(multiplierFor(h, key, 1.5, (v) => reported.push(v))).toBe(1.5)
    expect(reported).toEqual([value])
  })

  it('parseMultiplier reads what Python float() reads, finite only', () => {
    expect(['1', '-1', '+1.', '1e-3', '1E3', '1_0.0_1'].map(parseMultiplier)).toEqual([
      1, -1, 1, 0.001, 1000, 10.01,
    ])
    expect(['1__0', '_1', '1_', '1e', 'e1', '.', '- 1', 'Infinity', 'NaN'].map(parseMultiplier)).toEqual(
      Array(9).fill(undefined),
    )
  })
})

describe('weighing with aggregate multipliers', () => {
  const warnings: { fields: Record<string, unknown>; message: string }[] = []
  const log = {
    warn: (fields: Record<string, unknown>, message: string) => warnings.push({ fields, message }),
  }

  it('logs each undecodable value once per weigher, and weighs those hosts by the option', () => {
    warnings.length = 0
    const list = hosts([{ memoryMb: 4000 }, { memoryMb: 2000 }, { memoryMb: 1000 }], {
      a: [{ ram_weight_multiplier: 'many' }],
      b: [{ ram_weight_multiplier: 'many' }],
      c: [{ ram_weight_multiplier: '-4' }],
    })
    const weights = [
      ...weighHosts(list, makeRequest(), [RAMWeigher, CPUWeigher], log as unknown as Pick<Logger, 'warn'>),
    ]
    // RAM: a 1 × 1, b .5 × 1 (the option), c .25 × -4 = -1; CPU (no key set, no warning): 64
    // free each, minval 0 → 1 each.
    expect(weights).toEqual([2, 1.5, 0])
    expect(warnings).toHaveLength(1)
    expect(warnings[0]!.fields).toEqual({
      option: 'ram_weight_multiplier',
      value: 'many',
      hosts: 'a, b',
      configured: 1,
    })
    expect(warnings[0]!.message).toBe(
      "Could not decode 'ram_weight_multiplier' weight multiplier: aggregate metadata value 'many' is not a number; using the configured 1",
    )
  })

  it('normalises over all hosts first: an aggregate changes only its own hosts’ weights', () => {
    // free RAM 8000, 6000, 4000, 2000 → /8000: 1, .75, .5, .25. Hosts s1, s2 in a stacking
    // aggregate (-1), o1, o2 spreading by the option (1): -1, -.75, .5, .25.
    const stack: AggregateInfo = { id: 1, name: 'stack', metadata: { ram_weight_multiplier: '-1' } }
    const list = [8000, 6000, 4000, 2000].map((memoryMb, i) => {
      const h = makeHost({ host: ['s1', 's2', 'o1', 'o2'][i]!, memoryMb })
      if (i < 2) h.aggregates = [stack]
      return h
    })
    const weights = weighHosts(list, makeRequest(), [RAMWeigher])
    expect([...weights]).toEqual([-1, -0.75, 0.5, 0.25])
    expect(topIndices(weights, 4).map((i) => list[i]!.host)).toEqual(['o1', 'o2', 's2', 's1'])
  })

  it('adds up per weigher, each with its own key: RAM stacks in the aggregate, I/O ops count double', () => {
    // RAM   free 4000, 2000, 1000 → 1, .5, .25; a and b in the aggregate: RAM × -1, I/O × -2.
    // IoOps 0, 2, 4 → 0, .5, 1; a, b × -2, c × -1 (the option).
    // a: -1 + 0 = -1;  b: -.5 - 1 = -1.5;  c: .25 - 1 = -.75
    const aggr = { ram_weight_multiplier: '-1', io_ops_weight_multiplier: '-2' }
    const list = hosts(
      [
        { memoryMb: 4000, numIoOps: 0 },
        { memoryMb: 2000, numIoOps: 2 },
        { memoryMb: 1000, numIoOps: 4 },
      ],
      { a: [aggr], b: [aggr] },
    )
    const weights = weighHosts(list, makeRequest(), [RAMWeigher, IoOpsWeigher])
    expect([...weights]).toEqual([-1, -1.5, -0.75])
    expect(topIndices(weights, 3).map((i) => list[i]!.host)).toEqual(['c', 'a', 'b'])
  })
})
