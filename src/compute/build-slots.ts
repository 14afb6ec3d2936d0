/** `[DEFAULT] max_concurrent_builds`: at most this many builds at once on a host (0: no limit). */
export class BuildSlots {
  private builds = 0
  private readonly waiting: (() => void)[] = []

  constructor(private readonly max: number) {}

  async acquire(): Promise<void> {
    if (this.max <= 0 || this.builds < this.max) {
      this.builds++
      return
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve))
    this.builds++
  }

  release(): void {
    this.builds--
    this.waiting.shift()?.()
  }
}
