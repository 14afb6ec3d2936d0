import { boolean, float, integer, type OptionGroup } from './types.js'

/** tsnova's fake hypervisor driver. */
export const fakeGroup = {
  fake: {
    help: "tsnova's own: the size and behaviour of each host of the fake driver (Nova's FakeDriver reports 1000 vCPUs, 800 GB RAM, 600 TB disk).",
    options: {
      vcpus: integer({ default: 1000, min: 0, help: 'vCPUs each fake host reports.' }),
      memory_mb: integer({ default: 800000, min: 0, help: 'Memory (MB) each fake host reports.' }),
      local_gb: integer({ default: 600000, min: 0, help: 'Disk (GB) each fake host reports.' }),
      spawn_delay: float({ default: 0, min: 0, help: 'Seconds a fake spawn takes; 0 is instant.' }),
      fail_build: boolean({
        default: false,
        help: 'Every build on this host fails (to test rescheduling).',
      }),
    },
  },
} satisfies Record<string, OptionGroup>
