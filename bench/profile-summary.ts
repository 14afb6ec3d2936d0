/** `tsx bench/profile-summary.ts FILE.cpuprofile`: the functions with the most self time. */
import { readFileSync } from 'node:fs'

interface Node {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  hitCount?: number
}
const profile = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as {
  nodes: Node[]
  samples: number[]
  timeDeltas: number[]
  startTime: number
  endTime: number
}
const byId = new Map(profile.nodes.map((n) => [n.id, n]))
const self = new Map<string, number>()
profile.samples.forEach((id, i) => {
  const n = byId.get(id)!
  const url = n.callFrame.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/dist\//, 'dist/')
  const key = `${n.callFrame.functionName || '(anon)'} ${url}:${n.callFrame.lineNumber}`
  self.set(key, (self.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0))
})
const total = [...self.values()].reduce((a, b) => a + b, 0)
const wall = (profile.endTime - profile.startTime) / 1000
console.log(`profile ${wall.toFixed(0)} ms wall, ${(total / 1000).toFixed(0)} ms sampled`)
for (const [key, us] of [...self.entries()]
  .sort((a, b) => b[1] - a[1])
  .slice(0, Number(process.argv[3] ?? 25))) {
  console.log(
    `${(us / 1000).toFixed(1).padStart(8)} ms ${((100 * us) / total).toFixed(1).padStart(5)}%  ${key}`,
  )
}

const byPackage = new Map<string, number>()
for (const [key, us] of self) {
  const where = key.split(' ').slice(1).join(' ')
  const pkg = where.startsWith('dist/')
    ? 'tsnova'
    : where.startsWith('node:') || where.startsWith(':') || where === ''
      ? where.split(':')[0] || '(native)'
      : (where.split('/')[0] ?? '?')
  byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us)
}
console.log('by package:')
for (const [pkg, us] of [...byPackage.entries()].sort((a, b) => b[1] - a[1]).slice(0, 12)) {
  console.log(
    `${(us / 1000).toFixed(1).padStart(8)} ms ${((100 * us) / total).toFixed(1).padStart(5)}%  ${pkg}`,
  )
}
