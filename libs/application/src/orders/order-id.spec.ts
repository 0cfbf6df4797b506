import { orderIdFor } from './order-id';

describe('orderIdFor', () => {
  it('is stable for the same account and client order id', () => {
    expect(orderIdFor('demo', 'c-1')).toBe(orderIdFor('demo', 'c-1'));
  });

  it('differs when either part differs, including ambiguous concatenations', () => {
    const ids = new Set([
      orderIdFor('demo', 'c-1'),
      orderIdFor('demo', 'c-2'),
      orderIdFor('other', 'c-1'),
      orderIdFor('dem', 'oc-1'),
    ]);
    expect(ids.size).toBe(4);
  });

  it('is a version-5 RFC 4122 uuid', () => {
    expect(orderIdFor('demo', 'c-1')).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });
});
