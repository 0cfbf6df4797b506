import { Controller, Get, HttpStatus, Inject, Req, Res } from '@nestjs/common';
import { bearerKey } from '@oms/api';
import { Refusal } from '@oms/application';
import { metricsRegistry } from '@oms/platform';
import { Request, Response } from 'express';
import { healthOf } from './health';
import { OmsRuntime } from './oms-runtime';

@Controller()
export class HealthController {
  constructor(@Inject(OmsRuntime) private readonly oms: OmsRuntime) {}

  /** 200 once the projector has caught up and the gateway is sending or standing by; 503 otherwise. */
  @Get('health')
  health(@Res() res: Response): void {
    const { ready, body } = healthOf(this.oms);
    res.status(ready ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE).json(body);
  }

  /**
   * Prometheus text exposition of every metric this process keeps (see the README's table), for a
   * RISK_OFFICER, AUDITOR or ADMIN key (Prometheus sends it with `authorization: { credentials: … }`).
   */
  @Get('metrics')
  async metrics(@Req() req: Request, @Res() res: Response): Promise<void> {
    const { access } = this.oms.commandSide;
    try {
      const { principal } = await access.authenticate(bearerKey(req.headers.authorization));
      access.require(principal, 'monitor');
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      res
        .status(error.code === 'UNAUTHENTICATED' ? HttpStatus.UNAUTHORIZED : HttpStatus.FORBIDDEN)
        .json({ errors: [{ message: error.message, extensions: { code: error.code } }] });
      return;
    }
    res.type(metricsRegistry.contentType).send(await metricsRegistry.metrics());
  }
}
