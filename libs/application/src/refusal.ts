import { Rejection } from '@oms/domain';

/**
 * A command the OMS refused because of what was asked (bad input, an unknown id, an order that can no
 * longer be canceled, a failed risk check): a stable reason code, a sentence for people, and every
 * reason when there were several. Nothing was appended. Domain-neutral: the API maps it to a GraphQL
 * error, other callers read the code.
 */
export class Refusal extends Error {
  readonly rejections: readonly Rejection[];

  constructor(
    readonly code: string,
    message: string,
    rejections?: readonly Rejection[],
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = 'Refusal';
    this.rejections = rejections ?? [{ code, message }];
  }

  /** A decider's refusal: the first reason's code, every reason's sentence, the list in `rejections`. */
  static of(rejections: readonly Rejection[]): Refusal {
    return new Refusal(rejections[0].code, rejections.map((r) => r.message).join(' '), rejections);
  }
}
