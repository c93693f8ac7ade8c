/** One member's arrival: what it brought, and how its own answer is given. */
export interface Arrival<In, Out> {
  input: In;
  resolve(value: Out): void;
  reject(reason: unknown): void;
}

/** A member's place in a rendezvous: it arrives once, or leaves without arriving. */
export interface Ticket<In, Out> {
  /** Hands in this member's input; answered when the whole round has run. */
  arrive(input: In): Promise<Out>;
  /** This member will not come (answered another way, or failed). Harmless after `arrive`. */
  leave(): void;
}

/**
 * Gathers the members of a round so that one Go process can serve them all: every member
 * joins first (synchronously, before its first await), then either arrives with its input or
 * leaves. When no joined member is still on its way, the arrivals run as one round. Nothing
 * waits on a clock: a single member runs at once, and a member that leaves never delays the
 * others beyond its own leaving.
 *
 * A member must never wait, between joining and arriving, on something that itself waits for
 * this round (that would be a deadlock): callers arrive or leave at each stage in order.
 */
export class Rendezvous<In, Out> {
  private expected = 0;
  private arrivals: Arrival<In, Out>[] = [];
  private scheduled = false;

  /** `run` must settle every arrival it is given; one it leaves unsettled is rejected. */
  constructor(private readonly run: (arrivals: Arrival<In, Out>[]) => Promise<void>) {}

  join(): Ticket<In, Out> {
    this.expected++;
    let done = false;
    const finish = () => {
      done = true;
      this.expected--;
      this.schedule();
    };
    return {
      arrive: (input) => {
        if (done) return Promise.reject(new Error('Rendezvous ticket used twice'));
        const answer = new Promise<Out>((resolve, reject) => this.arrivals.push({ input, resolve, reject }));
        finish();
        return answer;
      },
      leave: () => {
        if (!done) finish();
      },
    };
  }

  /** After the current microtasks, so members leaving in one synchronous step count together. */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      if (this.expected > 0 || this.arrivals.length === 0) return;
      const round = this.arrivals;
      this.arrivals = [];
      void this.runRound(round);
    });
  }

  private async runRound(round: Arrival<In, Out>[]): Promise<void> {
    const answered = new Set<number>();
    const tracked = round.map(
      (a, i): Arrival<In, Out> => ({
        input: a.input,
        resolve: (v) => {
          answered.add(i);
          a.resolve(v);
        },
        reject: (e) => {
          answered.add(i);
          a.reject(e);
        },
      }),
    );
    try {
      await this.run(tracked);
      if (answered.size < round.length) throw new Error('a rendezvous round left members unanswered');
    } catch (err) {
      // Settling twice is a no-op for a promise: only the unanswered members see this.
      for (const a of round) a.reject(err);
    }
  }
}
