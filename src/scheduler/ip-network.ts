/**
 * IPv4 / IPv6 addresses and networks as netaddr reads them for Nova's SimpleCIDRAffinityFilter
 * (`IPAddress`, `IPNetwork`, `in`): strict dotted quads and RFC 4291 text, a prefix given as a
 * length, a netmask or a hostmask, and an address never inside a network of the other version.
 */

export interface IpAddress {
  readonly version: 4 | 6
  readonly value: bigint
}

export interface IpNetwork {
  readonly version: 4 | 6
  /** The address the network was written with (host bits kept, as netaddr keeps them). */
  readonly address: string
  readonly prefixlen: number
  /** The address with its host bits cleared. */
  readonly first: bigint
}

const WIDTH = { 4: 32, 6: 128 } as const

const OCTET = /^(?:0|[1-9]\d{0,2})$/
const HEXTET = /^[0-9a-fA-F]{1,4}$/

function parseIpv4(text: string): bigint | undefined {
  const parts = text.split('.')
  if (parts.length !== 4) return undefined
  let value = 0n
  for (const p of parts) {
    if (!OCTET.test(p) || Number(p) > 255) return undefined
    value = (value << 8n) | BigInt(p)
  }
  return value
}

/** Hextets of one side of `::`, the last of which may be a dotted quad (two hextets). */
function hextets(text: string, mayEndInIpv4: boolean): bigint[] | undefined {
  if (text === '') return []
  const parts = text.split(':')
  const out: bigint[] = []
  for (const [i, p] of parts.entries()) {
    if (mayEndInIpv4 && i === parts.length - 1 && p.includes('.')) {
      const v4 = parseIpv4(p)
      if (v4 === undefined) return undefined
      out.push(v4 >> 16n, v4 & 0xffffn)
    } else if (HEXTET.test(p)) out.push(BigInt(`0x${p}`))
    else return undefined
  }
  return out
}

function parseIpv6(text: string): bigint | undefined {
  const halves = text.split('::')
  if (halves.length > 2) return undefined
  const compressed = halves.length === 2
  const head = hextets(halves[0]!, !compressed)
  const tail = compressed ? hextets(halves[1]!, true) : []
  if (!head || !tail) return undefined
  const given = head.length + tail.length
  // `::` stands for at least one zero hextet.
  if (compressed ? given > 7 : given !== 8) return undefined
  const groups = [...head, ...new Array<bigint>(8 - given).fill(0n), ...tail]
  return groups.reduce((acc, g) => (acc << 16n) | g, 0n)
}

/** An IPv4 or IPv6 address (no zone id, no surrounding blanks), or undefined. */
export function parseIpAddress(text: string): IpAddress | undefined {
  if (text.includes(':')) {
    const v6 = parseIpv6(text)
    return v6 === undefined ? undefined : { version: 6, value: v6 }
  }
  const v4 = parseIpv4(text)
  return v4 === undefined ? undefined : { version: 4, value: v4 }
}

/** The prefix length of a netmask (ones then zeros) or a hostmask (zeros then ones), if it is one. */
function maskPrefix(mask: bigint, width: number): number | undefined {
  const all = (1n << BigInt(width)) - 1n
  // A netmask's complement plus one, and a hostmask plus one, are powers of two.
  const isPowerOfTwo = (v: bigint) => (v & (v - 1n)) === 0n
  const hostBitsOfNetmask = (mask ^ all) + 1n
  if (isPowerOfTwo(hostBitsOfNetmask)) return width - bitLength(hostBitsOfNetmask - 1n)
  if (isPowerOfTwo(mask + 1n)) return width - bitLength(mask)
  return undefined
}

function bitLength(v: bigint): number {
  return v === 0n ? 0 : v.toString(2).length
}

/**
 * netaddr's `IPNetwork(text)`: `address`, `address/length`, `address/netmask` or
 * `address/hostmask`; undefined when it is none of those (netaddr raises AddrFormatError).
 */
export function parseIpNetwork(text: string): IpNetwork | undefined {
  const slash = text.indexOf('/')
  const address = slash < 0 ? text : text.slice(0, slash)
  const prefixText = slash < 0 ? undefined : text.slice(slash + 1)
  const ip = parseIpAddress(address)
  if (!ip) return undefined
  const width = WIDTH[ip.version]
  let prefixlen: number | undefined
  if (prefixText === undefined) prefixlen = width
  else if (/^\d+$/.test(prefixText)) prefixlen = Number(prefixText)
  else {
    const mask = parseIpAddress(prefixText)
    if (mask?.version === ip.version) prefixlen = maskPrefix(mask.value, width)
  }
  if (prefixlen === undefined || prefixlen > width) return undefined
  const hostBits = BigInt(width - prefixlen)
  return { version: ip.version, address, prefixlen, first: (ip.value >> hostBits) << hostBits }
}

/** netaddr's `IPAddress(...) in IPNetwork(...)`: same version, same network bits. */
export function networkContains(network: IpNetwork, ip: IpAddress): boolean {
  if (ip.version !== network.version) return false
  const hostBits = BigInt(WIDTH[network.version] - network.prefixlen)
  return (ip.value >> hostBits) << hostBits === network.first
}

/** The network as `address/prefixlen`, for messages. */
export function networkText(network: IpNetwork): string {
  return `${network.address}/${network.prefixlen}`
}
