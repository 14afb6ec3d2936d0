import { ApiError, Invalid } from '../shared/errors.js'

/** The compute API's microversion range: Nova 26 (Zed) speaks 2.1 to 2.93. */
export const MIN_VERSION = '2.1'
export const MAX_VERSION = '2.93'

/** A microversion, comparable: 2.37 → {major 2, minor 37}. */
export class ApiVersion {
  constructor(
    readonly major: number,
    readonly minor: number,
  ) {}

  static parse(text: string): ApiVersion | undefined {
    const m = /^(\d+)\.(\d+)$/.exec(text.trim())
    return m ? new ApiVersion(Number(m[1]), Number(m[2])) : undefined
  }

  /** True if this version is at least `other` ("2.37"). */
  atLeast(other: string): boolean {
    const o = ApiVersion.parse(other)!
    return this.major > o.major || (this.major === o.major && this.minor >= o.minor)
  }

  toString(): string {
    return `${this.major}.${this.minor}`
  }
}

/** A version header that is no version at all (400). */
export class InvalidApiVersion extends Invalid {}
/** A well-formed version outside the range served (406). */
export class VersionNotSupported extends ApiError {
  override readonly code = 406
}

/**
 * The version a request asks for: `OpenStack-API-Version: compute X.Y` or the legacy
 * `X-OpenStack-Nova-API-Version: X.Y`; `latest` is the maximum; no header is 2.1.
 */
export function requestedVersion(headers: Record<string, string | string[] | undefined>): ApiVersion {
  const header = (name: string) => {
    const v = headers[name]
    return Array.isArray(v) ? v.join(',') : v
  }
  let text: string | undefined
  const modern = header('openstack-api-version')
  if (modern) {
    for (const part of modern.split(',')) {
      const [service, value] = part.trim().split(/\s+/, 2)
      if (service?.toLowerCase() === 'compute' && value) text = value
    }
  }
  text ??= header('x-openstack-nova-api-version')
  if (!text) return ApiVersion.parse(MIN_VERSION)!
  if (text.trim().toLowerCase() === 'latest') return ApiVersion.parse(MAX_VERSION)!
  const v = ApiVersion.parse(text)
  if (!v)
    throw new InvalidApiVersion(
      `API Version String ${text} is of invalid format. Must be of format MajorNum.MinorNum.`,
    )
  if (!v.atLeast(MIN_VERSION) || !ApiVersion.parse(MAX_VERSION)!.atLeast(v.toString())) {
    throw new VersionNotSupported(
      `Version ${text} is not supported by the API. Minimum is ${MIN_VERSION} and maximum is ${MAX_VERSION}.`,
    )
  }
  return v
}
