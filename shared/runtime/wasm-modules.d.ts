/**
 * `.wasm` imports as wrangler bundles them: the default export is a compiled module, never bytes
 * (workerd refuses to compile Wasm at runtime).
 */
declare module '*.wasm' {
  const module: WebAssembly.Module;
  export default module;
}
