/**
 * Remote consoles: `os-getVNCConsole` & co. up to 2.5, `POST /servers/{id}/remote-consoles`
 * from 2.6 (WebMKS from 2.8). The host hands out consoles its config switches on ([vnc] by
 * default; here also [rdp] and [serial_console]) and its driver has (the fake has no RDP), in
 * Nova's words when it cannot.
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import { ComputeClient } from '../harness/client.js'
import { type Cloud, startCloud } from '../harness/cloud.js'
import { describeBackends } from '../harness/matrix.js'
import { act, fault, settledAs } from '../harness/server-actions.js'

const TOKEN = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'

describeBackends('remote consoles over $transport + $db', ({ transport, db }) => {
  let cloud: Cloud
  let owner: ComputeClient
  let server: string

  beforeAll(async () => {
    cloud = await startCloud({
      transport,
      db,
      hosts: ['console-host'],
      config: {
        rdp: { enabled: 'true' },
        serial_console: { enabled: 'true', base_url: 'ws://consoles.example:6083/' },
      },
    })
    owner = new ComputeClient(cloud.url, 'alice:demo', '2.5')
    server = await owner.as('alice:demo', '2.37').createServer('watched')
    await settledAs(owner, server, 'ACTIVE')
  }, 60_000)

  afterAll(async () => {
    await cloud?.stop()
  })

  const remote = (client: ComputeClient, body: unknown) =>
    client.request('POST', `/v2.1/servers/${server}/remote-consoles`, body)

  it('os-getVNCConsole (noVNC): a URL of the noVNC proxy with a fresh token in its path', async () => {
    const res = await act(owner, server, { 'os-getVNCConsole': { type: 'novnc' } })
    expect(res.status).toBe(200)
    const { console } = res.body as { console: { type: string; url: string } }
    expect(console.type).toBe('novnc')
    expect(console.url).toMatch(
      new RegExp(`^http://127\\.0\\.0\\.1:6080/vnc_auto\\.html\\?path=%3Ftoken%3D${TOKEN}$`),
    )
    const again = (await act(owner, server, { 'os-getVNCConsole': { type: 'novnc' } }))
      .body as typeof res.body
    expect(again).not.toEqual(res.body)
  })

  it('refuses what Nova refuses: a type the protocol does not serve, a protocol switched off, one the driver lacks', async () => {
    expect((await act(owner, server, { 'os-getVNCConsole': { type: 'xvpvnc' } })).body).toEqual(
      fault(400, 'Invalid console type xvpvnc'),
    )
    expect((await act(owner, server, { 'os-getSPICEConsole': { type: 'spice-html5' } })).body).toEqual(
      fault(400, 'Unavailable console type spice-html5.'),
    )
    expect((await act(owner, server, { 'os-getRDPConsole': { type: 'rdp-html5' } })).body).toEqual(
      fault(501, 'The requested functionality is not supported.'),
    )
    expect((await act(owner, server, { 'os-getVNCConsole': { type: 'spice' } })).body).toEqual(
      fault(
        400,
        "Invalid input for field/attribute type. Value: spice. 'spice' is not one of ['novnc', 'xvpvnc']",
      ),
    )
    expect((await act(owner, server, { 'os-getVNCConsole': {} })).status).toBe(400)
  })

  it('os-getSerialConsole: the serial proxy’s URL with the token', async () => {
    const res = await act(owner, server, { 'os-getSerialConsole': { type: 'serial' } })
    expect(res.status).toBe(200)
    expect(res.body).toEqual({
      console: {
        type: 'serial',
        url: expect.stringMatching(new RegExp(`^ws://consoles\\.example:6083/\\?token=${TOKEN}$`)),
      },
    })
  })

  it('remote-consoles from 2.6 (the actions are gone there); mks from 2.8', async () => {
    const v26 = owner.as('alice:demo', '2.6')
    expect((await act(v26, server, { 'os-getVNCConsole': { type: 'novnc' } })).body).toEqual(
      fault(404, 'The resource could not be found.'),
    )
    expect((await remote(owner, { remote_console: { protocol: 'vnc', type: 'novnc' } })).status).toBe(404)

    const vnc = await remote(v26, { remote_console: { protocol: 'vnc', type: 'novnc' } })
    expect(vnc.status).toBe(200)
    expect(vnc.body).toEqual({
      remote_console: { protocol: 'vnc', type: 'novnc', url: expect.stringContaining('vnc_auto.html?path=') },
    })
    expect((await remote(v26, { remote_console: { protocol: 'vnc', type: 'serial' } })).body).toEqual(
      fault(400, 'Invalid console type serial'),
    )
    expect((await remote(v26, { remote_console: { protocol: 'rdp', type: 'rdp-html5' } })).status).toBe(501)
    expect((await remote(v26, { remote_console: { protocol: 'mks', type: 'webmks' } })).status).toBe(400)
    const v28 = owner.as('alice:demo', '2.8')
    expect((await remote(v28, { remote_console: { protocol: 'mks', type: 'webmks' } })).body).toEqual(
      fault(400, 'Unavailable console type webmks.'),
    )
    expect((await remote(v28, { remote_console: { protocol: 'vnc' } })).body).toEqual(
      fault(
        400,
        "Invalid input for field/attribute remote_console. Value: {'protocol': 'vnc'}. 'type' is a required property",
      ),
    )
    const mallory = owner.as('mallory:other', '2.6')
    expect((await remote(mallory, { remote_console: { protocol: 'vnc', type: 'novnc' } })).body).toEqual(
      fault(404, `Instance ${server} could not be found.`),
    )
  })
})
