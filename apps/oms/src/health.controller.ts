import { Controller, Get, Header, HttpStatus, Inject, Res } from '@nestjs/common';
import { metricsRegistry } from '@oms/platform';
import { Response } from 'express';
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

  /** Prometheus text exposition of every metric this process keeps (see the README's table). */
  @Get('metrics')
  @Header('Content-Type', metricsRegistry.contentType)
  metrics(): Promise<string> {
    return metricsRegistry.metrics();
  }
}
