/**
 * The primitive registry. Each file under `src/primitives/` registers its definitions at import
 * time; `index.ts` imports them all. Consumers look primitives up by name.
 */
import type { PrimitiveDef } from './types';

const registry = new Map<string, PrimitiveDef>();

export function registerPrimitive(...defs: PrimitiveDef[]): void {
  for (const def of defs) {
    if (registry.has(def.name)) throw new Error(`primitive '${def.name}' registered twice`);
    registry.set(def.name, def);
  }
}

export function getPrimitive(name: string): PrimitiveDef {
  const def = registry.get(name);
  if (!def) throw new Error(`unknown primitive '${name}'`);
  return def;
}

export function hasPrimitive(name: string): boolean {
  return registry.has(name);
}

/** All registered primitives, in registration order. */
export function allPrimitives(): PrimitiveDef[] {
  return [...registry.values()];
}
