import { Controller, Get, HttpStatus, Res } from '@nestjs/common';
import { Response } from 'express';
import { OmsRuntime } from './runtime/oms-runtime';

@Controller('health')
export class HealthController {
  constructor(private readonly oms: OmsRuntime) {}

  /** 200 once the API is up, the projector has caught up and the gateway is sending or standing by; 503 otherwise. */
  @Get()
  health(@Res() res: Response): void {
    const ready = this.oms.ready;
    res.status(ready ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE).json({
      status: ready ? 'ok' : 'starting',
      api: 'ok',
      projector: this.oms.projector.isCaughtUp
        ? 'ok'
        : this.oms.projector.isStandby
          ? 'standby (another instance is active)'
          : 'catching up or not in this process',
      gateway: this.oms.gatewayStatus,
    });
  }
}
