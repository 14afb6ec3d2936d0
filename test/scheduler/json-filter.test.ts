/** JsonFilter: Nova's query language, evaluated with Python's rules, table by table. */
import { describe, expect, it } from 'vitest'
import { JsonFilter } from '../../src/scheduler/filters/json-filter.js'
import { makeHost, makeRequest } from './helpers.js'

// 32768 MB RAM with 8192 claimed: free_ram_mb 24576; 1000 GB disk: free_disk_mb 1024000;
// 16 vCPUs, 4 used; 3 instances.
const host = () =>
  makeHost({ host: 'node-7', memoryUsedMb: 8192, vcpusUsed: 4, numInstances: 3, stats: { rack: 'r1' } })

const cases: [string, unknown, boolean][] = [
  ['= on a number', ['=', '$vcpus_total', 16], true],
  ['= with every other argument', ['=', '$vcpus_total', 16, 17], false],
  ['< ', ['<', '$vcpus_used', 5], true],
  ['> ', ['>', '$free_ram_mb', 24576], false],
  ['>= (the documented example)', ['>=', '$free_ram_mb', 1024], true],
  ['<=', ['<=', '$num_instances', 3], true],
  ['in', ['in', '$host', 'node-1', 'node-7'], true],
  ['not in', ['not', ['in', '$host', 'node-1']], true],
  ['and', ['and', ['>=', '$free_ram_mb', 1024], ['>=', '$free_disk_mb', 200 * 1024]], true],
  ['and, one false', ['and', ['>=', '$free_ram_mb', 1024], ['>=', '$free_disk_mb', 2000 * 1024]], false],
  ['or', ['or', ['=', '$host', 'x'], ['=', '$hypervisor_type', 'fake']], true],
  ['not gives a list: any true passes', ['not', ['=', '$host', 'node-7'], ['=', '$host', 'x']], true],
  ['a dict attribute by key', ['=', '$stats.rack', 'r1'], true],
  ['into cpu_info (JSON text)', ['=', '$cpu_info.vendor', 'Intel'], true],
  ['an unknown variable is dropped (too few arguments)', ['=', '$nonsense', 1], false],
  ['strings are not numbers (Python refuses str < int)', ['<', '$host', 5], false],
  ['an empty query passes', [], true],
  ['a list inside "and" is truthy, as in Python', ['and', ['not', ['=', '$host', 'node-7']]], true],
]

describe('JsonFilter', () => {
  it.each(cases)('%s', (_name, query, passes) => {
    const check = JsonFilter.check(makeRequest({ hints: { query: JSON.stringify(query) } }))
    expect(check ? check.passes(host()) : true).toBe(passes)
  })

  it('takes the hint as a one-element list too (Nova keeps hints as lists)', () => {
    const check = JsonFilter.check(makeRequest({ hints: { query: ['[">=", "$free_ram_mb", 30000]'] } }))!
    expect(check.passes(host())).toBe(false)
    expect(check.why([host()])).toBe('they do not match the query [">=", "$free_ram_mb", 30000]')
  })

  it('is skipped without the hint', () => {
    expect(JsonFilter.check(makeRequest())).toBeUndefined()
  })

  it('refuses every host for a query that is not JSON, or an unknown operator, saying so', () => {
    const notJson = JsonFilter.check(makeRequest({ hints: { query: '[">=", $free_ram_mb' } }))!
    expect(notJson.passes(host())).toBe(false)
    expect(notJson.why([host()])).toMatch(/^the query hint is not JSON/)
    const badOp = JsonFilter.check(makeRequest({ hints: { query: '["~", "$host", "a"]' } }))!
    expect(badOp.passes(host())).toBe(false)
    expect(badOp.why([host()])).toBe('the query hint uses operator "~" (known: = < > in <= >= not or and)')
  })
})
