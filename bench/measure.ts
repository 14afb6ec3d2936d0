import { readdirSync, readFileSync } from 'node:fs'

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0
}

/** Peak resident memory of a process so far (VmHWM), in MB. */
export function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return Math.round(Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024)
}

/** Current resident memory (VmRSS), in MB. */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024)
}

/** CPU seconds (user + system) a process has used so far. */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  // After the command name: state is field 3, so utime (14) and stime (15) are at 11 and 12.
  return (Number(fields[11]) + Number(fields[12])) / 100
}

/**
 * CPU used by the benchmark's processes, plus the broker, the databases and this process, from
 * now until `used()` is called: where the cores went during a phase.
 */
export function cpuCensus(procs: readonly { name: string; pid: number }[]): { used(): string } {
  const others = [
    { name: 'rabbitmq', pids: pidsOf('beam.smp') },
    { name: 'mariadb', pids: pidsOf('mariadbd') },
    { name: 'postgres', pids: pidsOf('postgres') },
    { name: 'bench client', pids: [process.pid] },
  ]
  const groups = new Map<string, number[]>()
  for (const p of procs) groups.set(p.name, [...(groups.get(p.name) ?? []), p.pid])
  for (const o of others) if (o.pids.length > 0) groups.set(o.name, o.pids)
  const total = (pids: number[]) => pids.reduce((sum, pid) => sum + safeCpu(pid), 0)
  const start = new Map([...groups].map(([name, pids]) => [name, total(pids)]))
  return {
    used: () =>
      [...groups]
        .map(([name, pids]) => ({ name, s: total(pids) - start.get(name)! }))
        .filter((g) => g.s > 0.05)
        .sort((a, b) => b.s - a.s)
        .map((g) => `${g.name} ${g.s.toFixed(1)}`)
        .join(', '),
  }
}

function safeCpu(pid: number): number {
  try {
    return cpuSeconds(pid)
  } catch {
    return 0
  }
}

function pidsOf(comm: string): number[] {
  const out: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === comm) out.push(Number(entry))
    } catch {
      // gone meanwhile
    }
  }
  return out
}
