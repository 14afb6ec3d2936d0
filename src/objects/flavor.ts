/** A flavor: the size of a server. `flavorid` is what the API calls `id`. */
export interface Flavor {
  readonly id: number
  readonly flavorid: string
  readonly name: string
  readonly memory_mb: number
  readonly vcpus: number
  readonly root_gb: number
  readonly ephemeral_gb: number
  readonly swap: number
  readonly rxtx_factor: number
  readonly vcpu_weight: number | null
  readonly disabled: boolean
  readonly is_public: boolean
  readonly description: string | null
  readonly extra_specs: Readonly<Record<string, string>>
}

/** devstack's default flavors, seeded by `api_db sync`. */
export const DEFAULT_FLAVORS: readonly Omit<Flavor, 'id' | 'extra_specs'>[] = [
  ['1', 'm1.tiny', 512, 1, 1],
  ['2', 'm1.small', 2048, 1, 20],
  ['3', 'm1.medium', 4096, 2, 40],
  ['4', 'm1.large', 8192, 4, 80],
  ['5', 'm1.xlarge', 16384, 8, 160],
].map(([flavorid, name, memory_mb, vcpus, root_gb]) => ({
  flavorid: flavorid as string,
  name: name as string,
  memory_mb: memory_mb as number,
  vcpus: vcpus as number,
  root_gb: root_gb as number,
  ephemeral_gb: 0,
  swap: 0,
  rxtx_factor: 1,
  vcpu_weight: null,
  disabled: false,
  is_public: true,
  description: null,
}))
