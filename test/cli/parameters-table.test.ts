import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TABLE_END, TABLE_START, parametersTable, parametersTableBlock } from '../../cli/parameters-table.ts';
import { PARAMETER_NAMES } from '../../functions/lifetimes/parameters.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
// README.md now; the README once it is merged there. Wherever the markers are, the table must be current.
const DOCUMENTS = ['README.md'];

describe('the parameter table in the documentation', () => {
  it('has one row per parameter', () => {
    const rows = parametersTable().split('\n').slice(2);
    expect(rows.map((row) => row.split('`')[1])).toEqual(PARAMETER_NAMES);
  });

  it('is, in every document that carries it, exactly what cli/parameters-table.ts prints', () => {
    const carriers = DOCUMENTS.filter((path) => existsSync(`${ROOT}${path}`) && readFileSync(`${ROOT}${path}`, 'utf8').includes(TABLE_START));
    expect(carriers.length).toBeGreaterThan(0);
    for (const path of carriers) {
      const text = readFileSync(`${ROOT}${path}`, 'utf8');
      const start = text.indexOf(TABLE_START);
      const end = text.indexOf(TABLE_END, start);
      expect(end, `${path}: ${TABLE_END} missing`).toBeGreaterThan(start);
      expect(text.slice(start, end + TABLE_END.length), `${path} is out of date: run node cli/parameters-table.ts`).toBe(parametersTableBlock());
    }
  });
});
