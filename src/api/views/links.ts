/** Nova's `self` and `bookmark` links for a resource under the compute endpoint. */
export function resourceLinks(baseUrl: string, collection: string, id: string) {
  return [
    { rel: 'self', href: `${baseUrl}/v2.1/${collection}/${id}` },
    { rel: 'bookmark', href: `${baseUrl}/${collection}/${id}` },
  ]
}
