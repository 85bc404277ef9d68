// Where the socket stands in the user's change sequence (docs/protocol.md): the point to
// resume from, and what to do with each change number that arrives.
export type Verdict = 'apply' | 'skip' | 'gap';

export class SocketSequence {
  /** The last change applied; undefined until the socket has a starting point. */
  last?: number | undefined;
  #resuming = false;

  /**
   * `apply` the next change in order; `skip` one already seen (or any while a gap is
   * being filled); `gap` when changes are missing: ask for them once with `resume`.
   */
  accept(seq: number): Verdict {
    const last = this.last ?? seq - 1;
    if (seq <= last) return 'skip';
    if (seq > last + 1) {
      const first = !this.#resuming;
      this.#resuming = true;
      return first ? 'gap' : 'skip';
    }
    this.#resuming = false;
    this.last = seq;
    return 'apply';
  }

  reset(last: number | undefined): void {
    this.last = last;
    this.#resuming = false;
  }
}
