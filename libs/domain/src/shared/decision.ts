/** A typed refusal: a stable reason code for machines and a sentence for people. */
export interface Rejection<Code extends string = string> {
  code: Code;
  message: string;
}

/**
 * What a decider says about a command: the events it causes (possibly none, for an idempotent
 * repeat) or the reasons it is refused. Refusals are values, never exceptions that lose the command.
 */
export type Decision<Event> =
  | { readonly accepted: true; readonly events: Event[] }
  | { readonly accepted: false; readonly rejections: Rejection[] };

export function accept<Event>(...events: Event[]): Decision<Event> {
  return { accepted: true, events };
}

export function reject<Event = never>(code: string, message: string): Decision<Event> {
  return { accepted: false, rejections: [{ code, message }] };
}

export function rejectAll<Event = never>(rejections: Rejection[]): Decision<Event> {
  return { accepted: false, rejections };
}

/** Time comes in as data with every command; the domain never reads a clock. */
export interface CommandMetadata {
  now: Date;
}

export interface Command<Type extends string, Data> {
  type: Type;
  data: Data;
  metadata: CommandMetadata;
}

export interface DomainEvent<Type extends string, Data> {
  type: Type;
  data: Data;
}

export interface Decider<C, E, S> {
  decide(command: C, state: S): Decision<E>;
  evolve(state: S, event: E): S;
  initialState(): S;
}

export function assertNever(value: never): never {
  throw new Error(`Unhandled case: ${JSON.stringify(value)}`);
}
