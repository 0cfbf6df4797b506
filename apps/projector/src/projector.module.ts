import { Module } from '@nestjs/common';

/** Composition root of the projector; its parts arrive with the issues that build them. */
@Module({})
export class ProjectorModule {}
