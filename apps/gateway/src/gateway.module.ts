import { Module } from '@nestjs/common';

/** Composition root of the gateway; its parts arrive with the issues that build them. */
@Module({})
export class GatewayModule {}
