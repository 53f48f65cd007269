import { ConfigError } from '@flatsparse/plugin-api';

/** ioredis connection options from a redis:// URL (what BullMQ takes). */
export interface RedisConnection {
  readonly host: string;
  readonly port: number;
  readonly username?: string;
  readonly password?: string;
  readonly db?: number;
  readonly tls?: object;
}

/** Parses `redis://[user:password@]host[:port][/db]` (or rediss:// for TLS); `flag` names the option in errors. */
export function redisConnection(url: string, flag = '--redis'): RedisConnection {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    u = new URL('invalid:');
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new ConfigError(flag, 'is not a Redis URL.', { received: url, expected: 'redis://host:port or redis://user:password@host:port/db (rediss:// for TLS)', fix: `pass for example ${flag} redis://127.0.0.1:6379.` });
  const db = u.pathname.replace(/^\//, '');
  return {
    host: u.hostname || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(db ? { db: Number(db) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}
