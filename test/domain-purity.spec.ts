import { lintAs } from './lint';

/** The lint rule that keeps libs/domain pure must keep firing: a rule that never fires proves nothing. */
function lintAsDomainFile(code: string): string[] {
  return lintAs('libs/domain/src/probe.ts', code).map((m) => m.message);
}

describe('libs/domain purity lint rule', () => {
  const probes: [string, string][] = [
    ["import { Injectable } from '@nestjs/common';", 'no NestJS'],
    ["import { KurrentDBClient } from '@kurrent/kurrentdb-client';", 'no event store client'],
    ["import { DataSource } from 'typeorm';", 'no TypeORM'],
    ["import { Pool } from 'pg';", 'no database driver'],
    ["import { readFileSync } from 'fs';", 'no I/O'],
    ['export const t1 = Date.now();', 'Pass time in as data'],
    ['export const t2 = new Date();', 'Pass time in as data'],
    ['export const r = Math.random();', 'No randomness'],
  ];

  it('refuses framework, database and I/O imports, the clock and randomness', () => {
    const messages = lintAsDomainFile(probes.map(([code]) => code).join('\n') + '\n');
    for (const [code, expected] of probes) {
      expect({ code, found: messages.some((m) => m.includes(expected)) }).toEqual({ code, found: true });
    }
  });

  it('accepts pure code', () => {
    expect(
      lintAsDomainFile("import { dec } from '../decimal/decimal';\nexport const x = dec('1');\n"),
    ).toEqual([]);
  });
});
