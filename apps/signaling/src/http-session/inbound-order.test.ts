import { describe, expect, it } from 'vitest';
import { InboundOrder } from './inbound-order.ts';

describe('InboundOrder', () => {
  it('applies each frame once, in sequence order, whatever order the batches come in', () => {
    const applied: string[] = [];
    const order = new InboundOrder((f) => applied.push(f));
    expect(order.accept(3, ['c', 'd'])).toBe(0);
    expect(order.accept(1, ['a'])).toBe(1);
    expect(order.accept(1, ['a', 'b'])).toBe(4);
    expect(order.accept(2, ['b', 'c', 'd', 'e'])).toBe(5);
    expect(applied).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('holds only frames near the gap, so a client cannot pin memory far ahead', () => {
    const applied: string[] = [];
    const order = new InboundOrder((f) => applied.push(f));
    order.accept(1_000, ['far']);
    order.accept(2, ['b']);
    expect(order.accept(1, ['a'])).toBe(2);
    expect(applied).toEqual(['a', 'b']);
  });
});
