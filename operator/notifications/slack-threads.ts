// Slack's groupingKey state (spec §6.4): the first message posted for a (service, recipient,
// groupingKey) starts a thread; later posts reply in it, and deliveryPolicy PostAndUpdate / Update
// edit that first message. Argo's notifications controller keeps this in the memory of its process,
// and so does Hawser: after a restart the next post for a key starts a new thread (and Update has
// nothing to update until then).

export interface SlackMessageRef {
  /** The channel ID Slack answered with (chat.update needs the ID, not the name). */
  channel: string;
  /** The first post's `ts`: the thread's parent and the message updates edit. */
  ts: string;
}

/** Bounded: past the limit the oldest key is forgotten (its next post starts a new thread). */
const MAX_KEYS = 10_000;

export class SlackThreads {
  private readonly refs = new Map<string, SlackMessageRef>();

  private static key(service: string, recipient: string, groupingKey: string): string {
    return `${service}\u0000${recipient}\u0000${groupingKey}`;
  }

  get(service: string, recipient: string, groupingKey: string): SlackMessageRef | undefined {
    return this.refs.get(SlackThreads.key(service, recipient, groupingKey));
  }

  set(service: string, recipient: string, groupingKey: string, ref: SlackMessageRef): void {
    const key = SlackThreads.key(service, recipient, groupingKey);
    this.refs.delete(key);
    if (this.refs.size >= MAX_KEYS) this.refs.delete(this.refs.keys().next().value!);
    this.refs.set(key, ref);
  }
}
