/** The remote consoles a guest may offer, by Nova's protocol names. */
export type ConsoleKind = 'vnc' | 'spice' | 'rdp' | 'serial' | 'mks'

/** Nova's console `connect_info`: where the guest's console listens, and the URL the user opens. */
export interface ConsoleConnectInfo {
  readonly host: string
  readonly port: number
  readonly internal_access_path: string | null
  readonly token: string
  readonly access_url: string
}
