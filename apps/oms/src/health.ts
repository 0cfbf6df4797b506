import { Processor } from '@oms/application';
import { OmsEventType } from '@oms/domain';
import { OmsRuntime } from './oms-runtime';

export interface HealthReport {
  /** 200 when ready, 503 otherwise. */
  ready: boolean;
  body: {
    status: 'ok' | 'starting';
    api: string;
    projector: string;
    ledger: string;
    haltEnforcer: string;
    gateway: string;
  };
}

/** What health needs of any processor, whatever events it handles. */
type ProcessorState = Pick<Processor<OmsEventType>, 'status' | 'isReady'>;

function processorHealth(processor: ProcessorState | undefined): string {
  if (!processor) return 'not in this process';
  if (processor.status === 'standby') return 'standby (another instance is active)';
  if (processor.isReady) return 'ok';
  return processor.status === 'lost' ? 'lost its lock; standing by again' : 'catching up';
}

/**
 * What `GET /health` answers in every process: ready once the projector has caught up (or stands
 * by), and the gateway is sending (or stands by); not ready before, nor after a gateway had to stop.
 */
export function healthOf(runtime: OmsRuntime): HealthReport {
  const ready = runtime.ready;
  return {
    ready,
    body: {
      status: ready ? 'ok' : 'starting',
      api: runtime.roles.has('api') ? 'ok' : 'not in this process',
      projector: processorHealth(runtime.projector?.processor),
      ledger: processorHealth(runtime.ledger?.processor),
      haltEnforcer: processorHealth(runtime.haltEnforcer?.processor),
      gateway: runtime.gatewayStatus,
    },
  };
}
