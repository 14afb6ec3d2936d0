/** Admin placement parsing, and the scheduler's copy of the host aggregates. */
import { describe, expect, it } from 'vitest'
import { parseAvailabilityZone } from '../../src/compute-api/placement-request.js'
import type { Aggregate } from '../../src/objects/aggregate.js'
import { AggregateCache } from '../../src/scheduler/aggregate-cache.js'
import { HostState } from '../../src/scheduler/host-state.js'
import { createLogger } from '../../src/shared/logger.js'

describe('parseAvailabilityZone (Nova’s parse_availability_zone)', () => {
  it.each([
    ['az1', { zone: 'az1', host: null, node: null }],
    ['az1:h1', { zone: 'az1', host: 'h1', node: null }],
    ['az1:h1:n1', { zone: 'az1', host: 'h1', node: 'n1' }],
    ['az1::n1', { zone: 'az1', host: null, node: 'n1' }],
    [':h1', { zone: null, host: 'h1', node: null }],
    ['az1:', { zone: 'az1', host: null, node: null }],
  ])('%s', (text, expected) => {
    expect(parseAvailabilityZone(text, null)).toEqual(expected)
  })

  it('an empty zone is default_schedule_zone; more than two colons do not parse', () => {
    expect(parseAvailabilityZone(':h1', 'dflt').zone).toBe('dflt')
    expect(parseAvailabilityZone(null, null)).toEqual({ zone: null, host: null, node: null })
    expect(() => parseAvailabilityZone('a:b:c:d', null)).toThrow(
      'Invalid input received: Unable to parse availability_zone',
    )
  })
})

describe('AggregateCache', () => {
  const aggregate = (id: number, hosts: string[], metadata: Record<string, string>): Aggregate => ({
    id,
    uuid: `u${id}`,
    name: `a${id}`,
    hosts,
    metadata,
    created_at: null,
    updated_at: null,
  })
  const host = (name: string, id: number) =>
    new HostState({ id, uuid: `n${id}`, host: name, hypervisor_hostname: name }, 'cell')
  const log = createLogger({ name: 'test' })
  log.level = 'silent'

  it('reads again only when the stamp moves, and puts each host’s aggregates on its state', async () => {
    let stamp = '1'
    let aggregates = [aggregate(1, ['h1'], { availability_zone: 'az1' })]
    let lists = 0
    const cache = new AggregateCache(
      {
        stamp: async () => stamp,
        list: async () => {
          lists++
          return aggregates
        },
      },
      log,
    )
    const hosts = [host('h1', 1), host('h2', 2)]
    await cache.refresh()
    cache.apply(hosts)
    expect(hosts[0]!.aggregates.map((a) => a.metadata)).toEqual([{ availability_zone: 'az1' }])
    expect(hosts[1]!.aggregates).toEqual([])
    await cache.refresh()
    expect(lists).toBe(1)
    stamp = '2'
    aggregates = [aggregate(1, ['h2'], { availability_zone: 'az1' }), aggregate(2, ['h2'], { ssd: 'true' })]
    await cache.refresh()
    expect(lists).toBe(2)
    cache.apply(hosts)
    expect(hosts[0]!.aggregates).toEqual([])
    expect(hosts[1]!.aggregates.map((a) => a.name)).toEqual(['a1', 'a2'])
    // A new host list (a host appeared) gets the copy too, without a read.
    const more = [...hosts, host('h3', 3)]
    cache.apply(more)
    expect(more[2]!.aggregates).toEqual([])
    expect(lists).toBe(2)
  })

  it('keeps the last copy when the database cannot be read', async () => {
    let fail = false
    const cache = new AggregateCache(
      {
        stamp: async () => {
          if (fail) throw new Error('down')
          return 's'
        },
        list: async () => [aggregate(1, ['h1'], { k: 'v' })],
      },
      log,
    )
    await cache.refresh()
    fail = true
    await cache.refresh()
    const hosts = [host('h1', 1)]
    cache.apply(hosts)
    expect(hosts[0]!.aggregates).toHaveLength(1)
  })
})
