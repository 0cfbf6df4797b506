import { EventMetadata } from '@oms/event-store';

/** Who asked and which request this is: recorded on every event the command causes. */
export interface CommandContext {
  actor: string;
  correlationId: string;
  /** The event or command that caused this one, if any. */
  causationId?: string | null;
}

export const metadataOf = (ctx: CommandContext): EventMetadata => ({
  correlationId: ctx.correlationId,
  causationId: ctx.causationId ?? null,
  actor: ctx.actor,
});
