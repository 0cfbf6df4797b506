/** The execution gateway and what runs beside it; the composition root (apps/oms) wires them. */
export * from './execution-gateway';
export * from './working-slices';
export * from './market-data-publisher';
export * from './venue-config';
