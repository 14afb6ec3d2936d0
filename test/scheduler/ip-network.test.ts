/** Addresses and networks as netaddr reads them for SimpleCIDRAffinityFilter (and the API's hint check). */
import { describe, expect, it } from 'vitest'
import {
  networkContains,
  networkText,
  parseIpAddress,
  parseIpNetwork,
} from '../../src/scheduler/ip-network.js'

describe('parseIpAddress', () => {
  it.each([
    ['192.0.2.1', 4, 0xc0000201n],
    ['0.0.0.0', 4, 0n],
    ['255.255.255.255', 4, 0xffffffffn],
    ['::', 6, 0n],
    ['::1', 6, 1n],
    ['1::', 6, 1n << 112n],
    ['2001:db8::8:800:200c:417a', 6, 0x20010db80000000000080800200c417an],
    ['1:2:3:4:5:6:7:8', 6, 0x00010002000300040005000600070008n],
    ['1:2:3:4:5:6:7::', 6, 0x00010002000300040005000600070000n],
    ['::ffff:192.0.2.1', 6, 0xffffc0000201n],
    ['64:ff9b::192.0.2.1', 6, (0x64ff9bn << 96n) | 0xc0000201n],
    ['ABCD::EF', 6, (0xabcdn << 112n) | 0xefn],
  ] as const)('%s', (text, version, value) => {
    expect(parseIpAddress(text)).toEqual({ version, value })
  })

  it.each([
    '',
    '192.0.2',
    '192.0.2.1.5',
    '256.0.0.1',
    '01.2.3.4', // leading zeros are ambiguous (octal in inet_aton)
    ' 192.0.2.1',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7',
    '1::2::3',
    ':::',
    '12345::',
    '1:2:3:4:5:6:7:8::',
    'fe80::1%eth0',
    '::192.0.2.1:1',
    'example.com',
  ])('refuses %j', (text) => {
    expect(parseIpAddress(text)).toBeUndefined()
  })
})

describe('parseIpNetwork and networkContains', () => {
  it.each([
    // network, inside, outside
    ['10.1.2.3/24', '10.1.2.255', '10.1.3.0'],
    ['10.1.2.3/024', '10.1.2.0', '10.1.3.0'],
    ['10.1.2.3', '10.1.2.3', '10.1.2.4'],
    ['10.1.2.3/255.255.255.0', '10.1.2.9', '10.1.3.9'],
    ['10.1.2.3/0.0.0.255', '10.1.2.9', '10.1.3.9'],
    ['10.1.2.3/0', '203.0.113.1', '::1'],
    ['2001:db8::1/32', '2001:db8:ffff::', '2001:db9::'],
    ['2001:db8::1/ffff:ffff::', '2001:db8:ffff::', '2001:db9::'],
    ['::/0', '2001:db8::1', '192.0.2.1'],
  ] as const)('%s holds %s, not %s', (text, inside, outside) => {
    const network = parseIpNetwork(text)!
    expect(network).toBeDefined()
    expect(networkContains(network, parseIpAddress(inside)!)).toBe(true)
    expect(networkContains(network, parseIpAddress(outside)!)).toBe(false)
  })

  it('writes the network as address/prefixlen', () => {
    expect(networkText(parseIpNetwork('10.1.2.3/255.255.0.0')!)).toBe('10.1.2.3/16')
    expect(networkText(parseIpNetwork('2001:db8::1')!)).toBe('2001:db8::1/128')
  })

  it.each([
    '10.1.2.3/33',
    '2001:db8::1/129',
    '10.1.2.3/',
    '10.1.2.3/a',
    '10.1.2.3/255.0.255.0',
    '10.1.2.3/ffff::',
    '2001:db8::1/255.255.0.0',
    '10.1.2.3/24/8',
    'nowhere/24',
  ])('refuses %j', (text) => {
    expect(parseIpNetwork(text)).toBeUndefined()
  })
})
