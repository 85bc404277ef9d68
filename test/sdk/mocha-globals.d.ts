// The mocha globals web-test-runner provides in the browser (its mocha 10 build), typed
// here instead of adding @types/mocha. Only what the SDK tests use.
interface MochaContext {
  timeout(ms: number): void;
  skip(): never;
}
type MochaDone = (error?: unknown) => void;
type MochaFn = (this: MochaContext, done: MochaDone) => void | Promise<unknown>;
type MochaHook = (fn: MochaFn) => void;

interface MochaSuiteFn {
  (title: string, fn: (this: MochaContext) => void): void;
  only(title: string, fn: (this: MochaContext) => void): void;
  skip(title: string, fn: (this: MochaContext) => void): void;
}
interface MochaTestFn {
  (title: string, fn?: MochaFn): void;
  only(title: string, fn?: MochaFn): void;
  skip(title: string, fn?: MochaFn): void;
}

declare const describe: MochaSuiteFn;
declare const it: MochaTestFn;
declare const before: MochaHook;
declare const after: MochaHook;
declare const beforeEach: MochaHook;
declare const afterEach: MochaHook;
