import { Controller, Get, HttpStatus, Res } from '@nestjs/common';
import { Response } from 'express';
import { healthOf } from './runtime/health';
import { OmsRuntime } from './runtime/oms-runtime';

@Controller('health')
export class HealthController {
  constructor(private readonly oms: OmsRuntime) {}

  /** 200 once the API is up, the projector has caught up and the gateway is sending or standing by; 503 otherwise. */
  @Get()
  health(@Res() res: Response): void {
    const { ready, body } = healthOf(this.oms, true);
    res.status(ready ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE).json(body);
  }
}
