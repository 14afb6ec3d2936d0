/** oslo's `uuidutils.is_uuid_like`: 32 hex digits, hyphens optional. */
export function isUuidLike(v: string): boolean {
  return /^\{?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\}?$/i.test(v)
}
