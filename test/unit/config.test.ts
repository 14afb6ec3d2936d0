/** nova.conf as oslo.config reads it: syntax, substitution, sources, checks, warnings, generated docs. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { isIP } from 'node:net'
import os, { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, expectTypeOf, it } from 'vitest'
import { type Config, ConfigError, configWarnings, loadConfig } from '../../src/config/config.js'
import { configMarkdown, sampleConfig } from '../../src/config/generate.js'

const ROOT = path.resolve(import.meta.dirname, '../..')

const tempDirs: string[] = []
afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true })
})

function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'tsnova-config-'))
  tempDirs.push(dir)
  return dir
}

function conf(text: string, name = 'nova.conf', dir = tempDir()): string {
  const file = path.join(dir, name)
  writeFileSync(file, text)
  return file
}

/** The config of one file with these lines. */
function load(...lines: string[]): Config {
  return loadConfig([conf(`${lines.join('\n')}\n`)])
}

describe('defaults', () => {
  it("are today's, option by option", () => {
    const state = path.resolve('state')
    const c = loadConfig()
    expect({ ...c, host: '<hostname>', my_ip: '<ip>' }).toEqual({
      host: '<hostname>',
      my_ip: '<ip>',
      state_path: state,
      transport_url: 'memory://',
      control_exchange: 'nova',
      rpc_response_timeout: 60,
      report_interval: 10,
      service_down_time: 60,
      compute_driver: 'fake.FakeDriver',
      osapi_compute_listen: '127.0.0.1',
      osapi_compute_listen_port: 8774,
      debug: false,
      max_concurrent_builds: 10,
      default_availability_zone: 'nova',
      update_resources_interval: 60,
      shutdown_timeout: 60,
      sync_power_state_interval: 600,
      reserved_host_memory_mb: 512,
      reserved_host_disk_mb: 0,
      reserved_host_cpus: 0,
      cpu_allocation_ratio: null,
      ram_allocation_ratio: null,
      disk_allocation_ratio: null,
      initial_cpu_allocation_ratio: 4.0,
      initial_ram_allocation_ratio: 1.0,
      initial_disk_allocation_ratio: 1.0,
      database: { connection: `sqlite:///${state}/nova.sqlite` },
      api_database: { connection: `sqlite:///${state}/nova_api.sqlite` },
      api: { auth_strategy: 'keystone', max_limit: 1000 },
      token: { expiration: 3600 },
      identity: { bind_host: '', bind_port: 5000, region_name: 'RegionOne', bootstrap_password: '' },
      image: { bind_host: '', bind_port: 9292 },
      glance_store: { filesystem_store_datadir: path.join(state, 'images') },
      keystone_authtoken: { www_authenticate_uri: '', auth_url: '' },
      scheduler: { max_attempts: 3 },
      oslo_messaging_rabbit: {
        amqp_durable_queues: false,
        ssl: false,
        ssl_ca_file: '',
        ssl_cert_file: '',
        ssl_key_file: '',
        ssl_version: '',
      },
      upgrade_levels: { compute: '', conductor: '', scheduler: '' },
      conductor: { redrive_threshold: 60, redrive_interval: 30, redrive_max_attempts: 3 },
      filter_scheduler: {
        enabled_filters: [
          'ComputeFilter',
          'ComputeCapabilitiesFilter',
          'ImagePropertiesFilter',
          'ServerGroupAntiAffinityFilter',
          'ServerGroupAffinityFilter',
        ],
        weight_classes: ['nova.scheduler.weights.all_weighers'],
        host_subset_size: 1,
        shuffle_best_same_weighed_hosts: false,
        max_instances_per_host: 50,
        max_io_ops_per_host: 8,
        ram_weight_multiplier: 1.0,
        cpu_weight_multiplier: 1.0,
        disk_weight_multiplier: 1.0,
        io_ops_weight_multiplier: -1.0,
        num_instances_weight_multiplier: 0.0,
        build_failure_weight_multiplier: 1000000.0,
        soft_affinity_weight_multiplier: 1.0,
        soft_anti_affinity_weight_multiplier: 1.0,
        aggregate_image_properties_isolation_namespace: null,
        aggregate_image_properties_isolation_separator: '.',
        image_properties_default_architecture: null,
      },
      vnc: { enabled: true, novncproxy_base_url: 'http://127.0.0.1:6080/vnc_auto.html' },
      spice: { enabled: false, html5proxy_base_url: 'http://127.0.0.1:6082/spice_auto.html' },
      rdp: { enabled: false, html5_proxy_base_url: 'http://127.0.0.1:6083/' },
      serial_console: { enabled: false, base_url: 'ws://127.0.0.1:6083/' },
      mks: { enabled: false, mksproxy_base_url: 'http://127.0.0.1:6090/' },
      fake: { vcpus: 1000, memory_mb: 800000, local_gb: 600000, spawn_delay: 0, fail_build: false },
    })
  })

  it("take the machine's hostname and first external IPv4 address", () => {
    const c = loadConfig()
    expect(c.host).toBe(os.hostname())
    expect(isIP(c.my_ip)).toBe(4)
  })

  it('keep the types the services rely on', () => {
    const c = loadConfig()
    expectTypeOf(c.api.auth_strategy).toEqualTypeOf<'noauth2' | 'keystone'>()
    expectTypeOf(c.cpu_allocation_ratio).toEqualTypeOf<number | null>()
    expectTypeOf(c.filter_scheduler.enabled_filters).toEqualTypeOf<readonly string[]>()
    expectTypeOf(c.filter_scheduler.image_properties_default_architecture).toEqualTypeOf<string | null>()
    expectTypeOf(c.database.connection).toEqualTypeOf<string>()
    expectTypeOf(c.oslo_messaging_rabbit.amqp_durable_queues).toEqualTypeOf<boolean>()
    expectTypeOf(c.conductor.redrive_max_attempts).toEqualTypeOf<number>()
  })
})

describe('file syntax', () => {
  it('joins continuation lines, so a list may run over several lines', () => {
    const c = load(
      '[filter_scheduler]',
      'enabled_filters = ComputeFilter,',
      '  ImagePropertiesFilter,',
      '\tSameHostFilter',
      'weight_classes =',
      '    RAMWeigher',
      '[identity]',
      'region_name = first',
      '  second',
    )
    expect(c.filter_scheduler.enabled_filters).toEqual([
      'ComputeFilter',
      'ImagePropertiesFilter',
      'SameHostFilter',
    ])
    expect(c.filter_scheduler.weight_classes).toEqual(['RAMWeigher'])
    expect(c.identity.region_name).toBe('first\nsecond')
  })

  it('ends a value at a blank line: an indented line after it continues nothing', () => {
    expect(() => load('[DEFAULT]', 'host = a', '', '  b')).toThrow(
      /at line 4, Unexpected continuation line: ' {2}b'/,
    )
  })

  it('skips # and ; comment lines, and keeps a # after a value as part of it', () => {
    const c = load(
      '# a comment',
      '; another',
      '[DEFAULT]',
      '#host = commented',
      'default_availability_zone = az1 # not a comment',
      '',
      '[api]',
      ';auth_strategy = noauth2',
    )
    expect(c.host).toBe(os.hostname())
    expect(c.default_availability_zone).toBe('az1 # not a comment')
    expect(c.api.auth_strategy).toBe('keystone')
  })

  it('takes `key: value` too, splitting at the first of = and :', () => {
    const c = load(
      '[DEFAULT]',
      'host: h1',
      'transport_url = rabbit://user:pass@broker:5672/',
      'control_exchange: a=b',
    )
    expect(c.host).toBe('h1')
    expect(c.transport_url).toBe('rabbit://user:pass@broker:5672/')
    expect(c.control_exchange).toBe('a=b')
  })

  it('keeps values verbatim but for one pair of quotes around the whole value', () => {
    const c = load(
      '[DEFAULT]',
      'host = "h 1"',
      "control_exchange = 'x'y'",
      'default_availability_zone = "az',
      '[identity]',
      'region_name =   spaced out   ',
    )
    expect(c.host).toBe('h 1')
    expect(c.control_exchange).toBe("x'y")
    expect(c.default_availability_zone).toBe('"az')
    expect(c.identity.region_name).toBe('spaced out')
  })

  it('refuses an option before any group, naming the file and line', () => {
    const file = conf('host = a\n[DEFAULT]\n')
    expect(() => loadConfig([file])).toThrow(ConfigError)
    expect(() => loadConfig([file])).toThrow(
      `Failed to parse ${file}: at line 1, Section must be started before assignment: 'host = a'`,
    )
  })

  it('refuses broken group headers and assignments', () => {
    expect(() => load('[DEFAULT')).toThrow(/Invalid section \(must end with \]\)/)
    expect(() => load('[]')).toThrow(/Empty section name/)
    expect(() => load('[DEFAULT]', 'host')).toThrow(/No ':' or '=' found in assignment/)
    expect(() => load('[DEFAULT]', '= a')).toThrow(/Key cannot be empty/)
  })

  it('lower-cases group names other than DEFAULT, and the last of a repeated option wins', () => {
    const c = load('[Scheduler]', 'max_attempts = 5', '[DEFAULT]', 'host = a', 'host = b', '[scheduler]')
    expect(c.scheduler.max_attempts).toBe(5)
    expect(c.host).toBe('b')
  })

  it('reads CRLF files', () => {
    expect(load('[DEFAULT]\r\nhost = crlf\r').host).toBe('crlf')
  })
})

describe('substitution', () => {
  it('replaces $option, {option} and {group.option} (after a $) with the final values', () => {
    const c = load(
      '[DEFAULT]',
      'state_path = /srv/nova',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: oslo.config's syntax, not a JS template
      'host = h-${default_availability_zone}',
      '[database]',
      'connection = sqlite:///$state_path/cell.db',
      '[identity]',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: oslo.config's syntax, not a JS template
      'region_name = r$report_interval-${api.max_limit}',
      'bind_host = $host',
    )
    expect(c.database.connection).toBe('sqlite:////srv/nova/cell.db')
    expect(c.host).toBe('h-nova')
    expect(c.identity.region_name).toBe('r10-1000')
    expect(c.identity.bind_host).toBe('h-nova')
  })

  it('substitutes the resolved state_path (absolute), also into defaults', () => {
    const dir = tempDir()
    const c = loadConfig([conf('[DEFAULT]\nstate_path = relative/state\n', 'nova.conf', dir)])
    const state = path.resolve('relative/state')
    expect(c.state_path).toBe(state)
    expect(c.api_database.connection).toBe(`sqlite:///${state}/nova_api.sqlite`)
    expect(c.glance_store.filesystem_store_datadir).toBe(path.join(state, 'images'))
  })

  it('takes $$ and \\$ as a literal $, and leaves a $ that names nothing', () => {
    const c = load(
      '[identity]',
      'bootstrap_password = pa$$word',
      'region_name = a\\$b',
      '[DEFAULT]',
      'default_availability_zone = cost: 5$ ${',
    )
    expect(c.identity.bootstrap_password).toBe('pa$word')
    expect(c.identity.region_name).toBe('a$b')
    expect(c.default_availability_zone).toBe('cost: 5$ ${')
  })

  it('refuses a reference to an unknown option, without showing a secret value', () => {
    const file = conf('[database]\nconnection = mysql://nova:s3cr$t@db/nova\n')
    expect(() => loadConfig([file])).toThrow(
      `Option [database] connection refers to $t, which is no option tsnova knows (write $$ for a literal $) (${file}:2)`,
    )
    expect(() => loadConfig([file])).not.toThrow(/s3cr/)
  })

  it('refuses a loop', () => {
    expect(() => load('[DEFAULT]', 'host = $control_exchange', 'control_exchange = $host')).toThrow(
      /\[DEFAULT\] host refers to itself: \[DEFAULT\] host → \[DEFAULT\] control_exchange → \[DEFAULT\] host/,
    )
  })
})

describe('sources', () => {
  it('merges files, later ones overriding earlier ones, and overrides in code above all', () => {
    const a = conf('[DEFAULT]\nhost = a\ncontrol_exchange = from-a\n[api]\nmax_limit = 5\n')
    const b = conf('[DEFAULT]\nhost = b\n')
    const c = loadConfig([a, b], { api: { max_limit: '7' } })
    expect(c.host).toBe('b')
    expect(c.control_exchange).toBe('from-a')
    expect(c.api.max_limit).toBe(7)
  })

  it('reads every *.conf of a --config-dir in sorted order, skipping hidden and other files', () => {
    const dir = tempDir()
    conf('[DEFAULT]\nhost = ten\ncontrol_exchange = ten\n', '10-b.conf', dir)
    conf('[DEFAULT]\nhost = two\ndefault_availability_zone = two\n', '02-a.conf', dir)
    conf('[DEFAULT]\nhost = hidden\n', '.99-hidden.conf', dir)
    conf('[DEFAULT]\nhost = text\n', '99-notes.txt', dir)
    const c = loadConfig([{ dir }])
    expect([c.host, c.control_exchange, c.default_availability_zone]).toEqual(['ten', 'ten', 'two'])
  })

  it('reads files and directories in the order given, as oslo.config reads the command line', () => {
    const dir = tempDir()
    conf('[DEFAULT]\nhost = from-dir\n', 'a.conf', dir)
    const file = conf('[DEFAULT]\nhost = from-file\n')
    expect(loadConfig([file, { dir }]).host).toBe('from-dir')
    expect(loadConfig([{ dir }, { file }]).host).toBe('from-file')
  })

  it('refuses a missing file or directory', () => {
    const missing = path.join(tempDir(), 'missing')
    expect(() => loadConfig([missing])).toThrow(`Cannot read config file ${missing}`)
    expect(() => loadConfig([{ dir: missing }])).toThrow(`Cannot read config directory ${missing}`)
  })

  it('refuses an override of an unknown option', () => {
    expect(() => loadConfig([], { DEFAULT: { hots: 'a' } })).toThrow(
      'Cannot override unknown option [DEFAULT] hots',
    )
  })
})

describe('checks', () => {
  it('names the option, the value, the rule and where the value was set', () => {
    const file = conf('[DEFAULT]\n\nreport_interval = often\n')
    expect(() => loadConfig([file])).toThrow(
      `Option [DEFAULT] report_interval must be a number (integer), got 'often' (${file}:3)`,
    )
  })

  it.each([
    [
      ['[DEFAULT]', 'rpc_response_timeout = 1.5'],
      "rpc_response_timeout must be a number (integer), got '1.5'",
    ],
    [['[DEFAULT]', 'rpc_response_timeout = 0'], "rpc_response_timeout must be at least 1, got '0'"],
    [['[DEFAULT]', 'rpc_response_timeout ='], "rpc_response_timeout must be a number (integer), got ''"],
    [['[DEFAULT]', 'osapi_compute_listen_port = 70000'], "port must be between 0 and 65535, got '70000'"],
    [['[DEFAULT]', 'cpu_allocation_ratio = -1'], "cpu_allocation_ratio must be at least 0, got '-1'"],
    [
      ['[DEFAULT]', 'initial_cpu_allocation_ratio = lots'],
      "initial_cpu_allocation_ratio must be a number, got 'lots'",
    ],
    [['[DEFAULT]', 'debug = maybe'], "debug must be true or false (or yes/no, on/off, 1/0), got 'maybe'"],
    [['[DEFAULT]', 'my_ip = my-host'], "Option [DEFAULT] my_ip must be an IP address, got 'my-host'"],
    [['[api]', 'auth_strategy = Keystone'], "auth_strategy must be one of keystone, noauth2, got 'Keystone'"],
    [['[scheduler]', 'max_attempts = 0'], "[scheduler] max_attempts must be at least 1, got '0'"],
    [['[conductor]', 'redrive_max_attempts = 0'], "redrive_max_attempts must be at least 1, got '0'"],
    [['[conductor]', 'redrive_interval = -5'], "redrive_interval must be at least 0, got '-5'"],
    [
      ['[upgrade_levels]', 'compute = 5'],
      "[upgrade_levels] compute must be empty, 'auto' or a version X.Y, got '5'",
    ],
    [['[upgrade_levels]', 'scheduler = 4.x'], "scheduler must be empty, 'auto' or a version X.Y, got '4.x'"],
  ])('refuses %j', (lines, message) => {
    expect(() => load(...lines)).toThrow(message)
  })

  it('accepts what was valid before: intervals at 0 or below, spaced numbers, oslo booleans', () => {
    const c = load(
      '[DEFAULT]',
      'update_resources_interval = 0',
      'sync_power_state_interval = -1',
      'report_interval = 0',
      'debug = On',
      'cpu_allocation_ratio =  1.5 ',
      'ram_allocation_ratio =',
      '[conductor]',
      'redrive_threshold = 0',
      '[fake]',
      'spawn_delay = 0.3',
      '[upgrade_levels]',
      'compute = auto',
      'conductor = 1.10',
    )
    expect(c.update_resources_interval).toBe(0)
    expect(c.sync_power_state_interval).toBe(-1)
    expect(c.report_interval).toBe(0)
    expect(c.debug).toBe(true)
    expect(c.cpu_allocation_ratio).toBe(1.5)
    expect(c.ram_allocation_ratio).toBeNull()
    expect(c.conductor.redrive_threshold).toBe(0)
    expect(c.fake.spawn_delay).toBe(0.3)
    expect(c.upgrade_levels).toEqual({ compute: 'auto', conductor: '1.10', scheduler: '' })
  })

  it('raises service_down_time to 2.5 × report_interval when not above it', () => {
    expect(load('[DEFAULT]', 'report_interval = 10', 'service_down_time = 10').service_down_time).toBe(25)
    expect(load('[DEFAULT]', 'report_interval = 3', 'service_down_time = 2').service_down_time).toBe(7)
    expect(load('[DEFAULT]', 'report_interval = 3', 'service_down_time = 4').service_down_time).toBe(4)
  })
})

describe('warnings', () => {
  it('name an unknown option of a known group, its file and line, and a close known name', () => {
    const file = conf(
      '[DEFAULT]\nhots = a\nenabled_filters = ComputeFilter\n[conductor]\nredrive_attempts = 2\nunheard_of = 1\n',
    )
    expect(configWarnings(loadConfig([file]))).toEqual([
      `Unknown option [DEFAULT] hots in ${file}:2 (did you mean host?)`,
      `Unknown option [DEFAULT] enabled_filters in ${file}:3 (did you mean [filter_scheduler] enabled_filters?)`,
      `Unknown option [conductor] redrive_attempts in ${file}:5 (did you mean redrive_max_attempts?)`,
      `Unknown option [conductor] unheard_of in ${file}:6`,
    ])
  })

  it("leave other services' groups alone, but point at a lower-case [default]", () => {
    const file = conf('[neutron]\nurl = http://neutron\n[libvirt]\nvirt_type = kvm\n[default]\nhost = x\n')
    const c = loadConfig([file])
    expect(configWarnings(c)).toEqual([
      `Group [default] in ${file} is not [DEFAULT] (which is written in capitals): its options are ignored`,
    ])
    expect(c.host).toBe(os.hostname())
  })

  it('are none for defaults and overrides', () => {
    expect(configWarnings(loadConfig([], { DEFAULT: { host: 'h' } }))).toEqual([])
  })
})

describe('generated sample and docs', () => {
  const sample = sampleConfig()

  it('comment out every option at its default, with help, type, bounds and choices', () => {
    expect(sample).toContain('[DEFAULT]\n')
    expect(sample).toContain('\n[filter_scheduler]\n')
    expect(sample).toContain('#report_interval = 10\n')
    expect(sample).toContain('#connection = sqlite:///$state_path/nova.sqlite\n')
    expect(sample).toContain('#cpu_allocation_ratio = <None>\n')
    expect(sample).toContain('#initial_cpu_allocation_ratio = 4.0\n')
    expect(sample).toContain('#host = <current_hostname>\n')
    expect(sample).toContain('#ssl_ca_file =\n')
    expect(sample).toMatch(
      /# Port the compute API listens on\. \(port value\)\n# Minimum value: 0\n# Maximum value: 65535\n/,
    )
    expect(sample).toMatch(/# Possible values:\n# keystone - [^\n]+\n(#[^\n]*\n)*# noauth2 - /)
    expect(sample).toContain("# Format: empty, 'auto' or a version X.Y\n#compute =\n")
    const helpLines = sample.split('\n').filter((line) => line.startsWith('# '))
    for (const line of helpLines) expect(line.length).toBeLessThanOrEqual(70)
  })

  it('is a nova.conf that, uncommented, gives the defaults back', () => {
    const dir = tempDir()
    expect(configWarnings(loadConfig([conf(sample, 'sample.conf', dir)]))).toEqual([])
    const uncommented = sample
      .split('\n')
      .map((line) => (/^#\w+ =/.test(line) && !/ <\w+>$/.test(line) ? line.slice(1) : line))
      .join('\n')
    const loaded = loadConfig([conf(uncommented, 'uncommented.conf', dir)])
    expect(configWarnings(loaded)).toEqual([])
    expect(loaded).toEqual(loadConfig())
  })

  it('docs/configuration.md is what the registry generates (bin/tsnova-manage config markdown > docs/configuration.md)', () => {
    const docs = readFileSync(path.join(ROOT, 'docs/configuration.md'), 'utf8')
    expect(docs, 'docs/configuration.md is stale: run npm run build, then the command above').toBe(
      configMarkdown(),
    )
  })

  it('the docs list every option once', () => {
    const markdown = configMarkdown()
    for (const name of [
      'host',
      'enabled_filters',
      'redrive_max_attempts',
      'ssl_version',
      'bootstrap_password',
    ]) {
      expect(markdown).toContain(`| \`${name}\` |`)
    }
    expect(markdown).toMatch(/\| `connection` \| string, secret \|/)
  })
})
