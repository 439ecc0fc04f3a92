import { templateRefSchema } from './schemas';

// Found by fuzzing /openapi.json: template versions are Postgres integers, and a larger number reached the
// query as an out-of-range error (a 500) instead of being refused as input.
describe('template reference version', () => {
  it('accepts the largest Postgres integer, as a number or as digits', () => {
    expect(templateRefSchema.safeParse({ name: 'latency', version: 2_147_483_647 }).success).toBe(true);
    expect(templateRefSchema.safeParse({ name: 'latency', version: '999999999' }).success).toBe(true);
  });

  it('refuses a version past it, naming the field', () => {
    const result = templateRefSchema.safeParse({ name: 'latency', version: 2_147_483_648 });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['version']);
  });
});
