// Shape arithmetic for the builder's static shape inference. Symbolic dims are opaque names:
// two dims are equal only if they are the same number or the same symbol, and a symbol is never
// assumed to be 1, so any shape the builder accepts is valid for every size the symbol takes.
// A product of dims is written with `*` (`batch*64`: the rows of [batch, 64, d] flattened to
// [batch*64, d]); reshapes and bound sizes read it as that product.

import type { Dim, Shape } from './graph.types.js';

/** Renders a shape for error messages, e.g. `[batch, 64, 3]`. */
export function formatShape(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

/** True when every dim is a number. */
export function isStatic(shape: Shape): shape is readonly number[] {
  return shape.every((d) => typeof d === 'number');
}

/** Replaces bound symbols by their sizes; throws if a symbol has no binding. */
export function resolveShape(shape: Shape, dims: Readonly<Record<string, number>>): number[] {
  return shape.map((d) => {
    if (typeof d === 'number') return d;
    let size = 1;
    for (const part of d.split('*')) {
      const n = dims[part] ?? (/^[0-9]+$/.test(part) ? Number(part) : undefined);
      if (n === undefined) {
        throw new Error(`Symbolic dim '${part}' has no size; bind it with GraphBuilder({ dims })`);
      }
      size *= n;
    }
    return size;
  });
}

/**
 * The dim of all but the last dim of `shape` flattened into one: their product when they are
 * numbers, else a product dim such as `batch*64`.
 */
export function flatDim(shape: Shape): Dim {
  const { product, symbols } = splitSymbols(shape.slice(0, -1));
  if (symbols.length === 0) return product;
  return product === 1 ? symbols.join('*') : `${symbols.join('*')}*${product}`;
}

/** Number of elements of a static shape. */
export function numElements(shape: Shape): number {
  let n = 1;
  for (const d of shape) {
    if (typeof d !== 'number') throw new Error(`Shape ${formatShape(shape)} is not static`);
    n *= d;
  }
  return n;
}

/** Normalises a possibly negative axis and checks it is in range. */
export function normAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) {
    throw new Error(`Axis ${axis} is out of range for rank ${rank}`);
  }
  return a;
}

/** Numpy broadcasting of any number of shapes. */
export function broadcastShapes(...shapes: Shape[]): Dim[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const dims = shapes.map((s) => s[s.length - rank + i] ?? 1);
    const notOne = dims.filter((d) => d !== 1);
    const first = notOne[0];
    if (first === undefined) {
      out.push(1);
    } else if (notOne.every((d) => d === first)) {
      out.push(first);
    } else {
      throw new Error(`Shapes ${shapes.map(formatShape).join(' and ')} do not broadcast`);
    }
  }
  return out;
}

/** Static part (product of numbers) and the sorted list of symbols of a shape. */
function splitSymbols(shape: Shape): { product: number; symbols: string[] } {
  let product = 1;
  const symbols: string[] = [];
  for (const d of shape) {
    if (typeof d === 'number') product *= d;
    else
      for (const part of d.split('*')) {
        if (/^[0-9]+$/.test(part)) product *= Number(part);
        else symbols.push(part);
      }
  }
  return { product, symbols: symbols.sort() };
}

/**
 * Encodes a Reshape target as the int64 constant ONNX needs, such that it stays valid when
 * symbolic dims change size: a symbol kept at the same position becomes 0 ("copy the input
 * dim"), one other symbol may become -1 ("infer"). Checks that element counts agree.
 */
export function reshapeTarget(from: Shape, to: Shape): number[] {
  const a = splitSymbols(from);
  const b = splitSymbols(to);
  if (a.product !== b.product || a.symbols.join(',') !== b.symbols.join(',')) {
    throw new Error(`Cannot reshape ${formatShape(from)} to ${formatShape(to)}`);
  }
  let inferred = false;
  return to.map((d, j) => {
    if (typeof d === 'number') {
      if (!Number.isInteger(d) || d < 1) throw new Error(`Bad reshape dim ${d}`);
      return d;
    }
    if (from[j] === d) return 0;
    if (inferred) {
      throw new Error(
        `Reshape ${formatShape(from)} -> ${formatShape(to)} moves more than one symbolic dim`,
      );
    }
    inferred = true;
    return -1;
  });
}

/** Elementwise equality of two shapes (numbers and symbols). */
export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
