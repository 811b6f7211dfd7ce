import type { RedisArg, RespValue } from '../resp/types.js';
import type { FunctionLibraryInfo, FunctionRestorePolicy, FunctionStats } from './commands/scripting.js';

/**
 * The scripting surface of clients, pipelines and transactions with the types a table of specs
 * cannot express: replies typed by the caller (`eval<[string, number]>(...)`) and `scriptExists`
 * taking one sha (→ boolean) or many (→ boolean[]). The commands themselves are described in
 * `commands/scripting.ts`.
 */
export interface ScriptingMethods {
  eval<T = RespValue>(lua: string, keys?: RedisArg[], args?: RedisArg[]): Promise<T>;
  evalRo<T = RespValue>(lua: string, keys?: RedisArg[], args?: RedisArg[]): Promise<T>;
  evalsha<T = RespValue>(sha1: string, keys?: RedisArg[], args?: RedisArg[]): Promise<T>;
  evalshaRo<T = RespValue>(sha1: string, keys?: RedisArg[], args?: RedisArg[]): Promise<T>;
  fcall<T = RespValue>(name: string, keys?: RedisArg[], args?: RedisArg[]): Promise<T>;
  fcallRo<T = RespValue>(name: string, keys?: RedisArg[], args?: RedisArg[]): Promise<T>;
  /** Whether the server has the script cached: one sha → boolean, several → boolean[]. */
  scriptExists(sha1: string): Promise<boolean>;
  scriptExists(sha1s: readonly string[]): Promise<boolean[]>;
  scriptLoad(lua: string): Promise<string>;
  scriptFlush(mode?: 'SYNC' | 'ASYNC'): Promise<'OK'>;
  scriptKill(): Promise<'OK'>;
  functionLoad(code: string, options?: { replace?: boolean }): Promise<string>;
  functionList(options?: { libraryName?: string; withCode?: boolean }): Promise<FunctionLibraryInfo[]>;
  functionDelete(libraryName: string): Promise<'OK'>;
  functionFlush(mode?: 'SYNC' | 'ASYNC'): Promise<'OK'>;
  functionDump(): Promise<Buffer>;
  functionRestore(dump: Buffer, policy?: FunctionRestorePolicy): Promise<'OK'>;
  functionKill(): Promise<'OK'>;
  functionStats(): Promise<FunctionStats>;
}
