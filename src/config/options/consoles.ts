import { boolean, type OptionGroup, string } from './types.js'

/**
 * Nova's remote console options, read by each compute host: whether it hands out consoles of a
 * kind, and the base URL of the proxy the user is sent to (tsnova runs no console proxy yet:
 * the URL carries a token for one).
 */
export const consoleGroups = {
  vnc: {
    help: 'VNC consoles (`os-getVNCConsole`, `remote-consoles` protocol `vnc`).',
    options: {
      enabled: boolean({ default: true, help: 'Whether compute hosts hand out VNC consoles.' }),
      novncproxy_base_url: string({
        default: 'http://127.0.0.1:6080/vnc_auto.html',
        help: 'Public URL of the noVNC proxy: a console URL is this with the token in its `path` query parameter.',
      }),
    },
  },
  spice: {
    help: 'SPICE consoles (`os-getSPICEConsole`, `remote-consoles` protocol `spice`).',
    options: {
      enabled: boolean({ default: false, help: 'Whether compute hosts hand out SPICE consoles.' }),
      html5proxy_base_url: string({
        default: 'http://127.0.0.1:6082/spice_auto.html',
        help: 'Public URL of the SPICE HTML5 proxy: a console URL is this with `?token=`.',
      }),
    },
  },
  rdp: {
    help: 'RDP consoles (`os-getRDPConsole`, `remote-consoles` protocol `rdp`).',
    options: {
      enabled: boolean({ default: false, help: 'Whether compute hosts hand out RDP consoles.' }),
      html5_proxy_base_url: string({
        default: 'http://127.0.0.1:6083/',
        help: 'Public URL of the RDP HTML5 proxy: a console URL is this with `?token=`.',
      }),
    },
  },
  serial_console: {
    help: 'Serial consoles (`os-getSerialConsole`, `remote-consoles` protocol `serial`).',
    options: {
      enabled: boolean({ default: false, help: 'Whether compute hosts hand out serial consoles.' }),
      base_url: string({
        default: 'ws://127.0.0.1:6083/',
        help: 'Public URL of the serial console proxy: a console URL is this with `?token=`.',
      }),
    },
  },
  mks: {
    help: 'VMware WebMKS consoles (`remote-consoles` protocol `mks`, 2.8+).',
    options: {
      enabled: boolean({ default: false, help: 'Whether compute hosts hand out WebMKS consoles.' }),
      mksproxy_base_url: string({
        default: 'http://127.0.0.1:6090/',
        help: 'Public URL of the WebMKS proxy: a console URL is this with `?token=`.',
      }),
    },
  },
} satisfies Record<string, OptionGroup>
