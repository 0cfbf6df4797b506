import { Principal } from '@oms/domain';
import { EventMetadata } from '@oms/event-store';

/** Who asked and which request this is: recorded on every event the command causes. */
export interface CommandContext {
  actor: string;
  correlationId: string;
  /** The event or command that caused this one, if any. */
  causationId?: string | null;
  /**
   * The authenticated principal a client's command comes from, so that a handler which learns the
   * account only on loading (cancel, replace) can hold it to its grants. Absent: the OMS itself.
   */
  principal?: Principal;
  /** The key (or token) that principal came with, recorded beside the actor. */
  credential?: string;
  /** Aborted when the client is gone (its connection closed before the answer): work not begun is dropped. */
  signal?: AbortSignal;
}

export const metadataOf = (ctx: CommandContext): EventMetadata => ({
  correlationId: ctx.correlationId,
  causationId: ctx.causationId ?? null,
  actor: ctx.actor,
  ...(ctx.credential ? { credential: ctx.credential } : {}),
});
