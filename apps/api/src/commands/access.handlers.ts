import { CommandSide, Refusal } from '@oms/application';
import { AccessState, accountDecider } from '@oms/domain';
import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { accountStream } from '@oms/application';
import { COMMAND_SIDE } from './command-side.token';
import { ChangeAccessCommand, IssueApiKeyCommand } from './commands';

/** Principals and grants, decided on the access stream; an account is granted only once it is open. */
@CommandHandler(ChangeAccessCommand)
export class ChangeAccessHandler implements ICommandHandler<ChangeAccessCommand, AccessState> {
  constructor(@Inject(COMMAND_SIDE) private readonly side: CommandSide) {}

  async execute({ change, ctx }: ChangeAccessCommand): Promise<AccessState> {
    if (change.type === 'GrantAccount') {
      const { revision } = await this.side.aggregates.load(
        accountDecider,
        accountStream(change.data.accountId),
      );
      if (revision === null) {
        throw new Refusal(
          'ACCOUNT_NOT_FOUND',
          `Account ${change.data.accountId} is not open; open it first.`,
        );
      }
    }
    return this.side.access.execute(change, ctx);
  }
}

@CommandHandler(IssueApiKeyCommand)
export class IssueApiKeyHandler implements ICommandHandler<
  IssueApiKeyCommand,
  { keyId: string; key: string }
> {
  constructor(@Inject(COMMAND_SIDE) private readonly side: CommandSide) {}

  execute({ principalId, label, ctx }: IssueApiKeyCommand): Promise<{ keyId: string; key: string }> {
    return this.side.access.issueKey(principalId, label, ctx);
  }
}

export const ACCESS_HANDLERS = [ChangeAccessHandler, IssueApiKeyHandler];
