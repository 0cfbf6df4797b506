import { OmsRuntime } from './oms-runtime';

export interface HealthReport {
  /** 200 when ready, 503 otherwise. */
  ready: boolean;
  body: { status: 'ok' | 'starting'; api: string; projector: string; gateway: string };
}

/**
 * What `GET /health` answers, in the API and in the worker processes alike: ready once the projector
 * has caught up (or stands by), and the gateway is sending (or stands by); not ready before, nor after
 * a gateway had to stop.
 */
export function healthOf(runtime: OmsRuntime, servesApi: boolean): HealthReport {
  const ready = runtime.ready;
  return {
    ready,
    body: {
      status: ready ? 'ok' : 'starting',
      api: servesApi ? 'ok' : 'not in this process',
      projector: runtime.projector.isCaughtUp
        ? 'ok'
        : runtime.projector.isStandby
          ? 'standby (another instance is active)'
          : 'catching up or not in this process',
      gateway: runtime.gatewayStatus,
    },
  };
}
