import { describe, expect, it } from 'vitest';
import type { RunStatus } from '../../../src/domain/rows.ts';
import { transition } from '../../../src/recording/run-state.ts';

const TERMINAL: RunStatus[] = ['COMPLETED', 'FAILED', 'CANCELED', 'CACHED'];

describe('the run state machine', () => {
  it('lets a running run finish with any terminal status', () => {
    for (const to of TERMINAL) expect(transition('RUNNING', to)).toBe('apply');
  });

  it('treats finishing again with the same status as a no-op', () => {
    for (const status of TERMINAL) expect(transition(status, status)).toBe('noop');
  });

  it('rejects every other change with CONFLICT', () => {
    expect(() => transition('RUNNING', 'RUNNING')).toThrow(expect.objectContaining({ code: 'CONFLICT' }));
    for (const from of TERMINAL) {
      expect(() => transition(from, 'RUNNING')).toThrow(expect.objectContaining({ code: 'CONFLICT' }));
      for (const to of TERMINAL.filter((s) => s !== from)) {
        expect(() => transition(from, to)).toThrow(expect.objectContaining({ code: 'CONFLICT' }));
      }
    }
  });
});
