import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';

describe('loadConfig', () => {
  it('uses the defaults when the environment is empty', () => {
    const config = loadConfig({});
    expect(config.port).toBe(4000);
    expect(config.neo4j.uri).toBeUndefined();
    expect(config.neo4j.embedded.dataDir).toMatch(/\.data\/neo4j$/);
    expect(config.production).toBe(false);
  });

  it('lets the environment beat the default and an explicit override beat the environment', () => {
    const config = loadConfig({ PORT: '5000', NEO4J_URI: 'bolt://db:7687', NODE_ENV: 'production' }, { port: 6000 });
    expect(config.port).toBe(6000);
    expect(config.neo4j.uri).toBe('bolt://db:7687');
    expect(config.production).toBe(true);
  });

  it('rejects malformed values with the variable name', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(ConfigError);
    expect(() => loadConfig({ PORT: '70000' })).toThrow(/PORT must be an integer from 0 to 65535/);
    expect(() => loadConfig({ PEDIGREE_LOG_LEVEL: 'loud' })).toThrow(/PEDIGREE_LOG_LEVEL/);
  });

  it('returns a frozen object', () => {
    const config = loadConfig({});
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.neo4j.embedded)).toBe(true);
  });
});
