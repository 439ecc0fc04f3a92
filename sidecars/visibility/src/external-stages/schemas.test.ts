import { runIdParamsSchema } from './schemas';

// Found by fuzzing /openapi.json: 36 hex digits and dashes in the wrong places passed the check and made
// Postgres refuse the uuid cast, a 500; only the 8-4-4-4-12 form is a run id.
describe('run id path parameter', () => {
  it.each(['000000000000000000000000000000000000', 'ff-7b-e70b1d3bebbcddd1eaf6-0fc8030c1', '0-0-0-0-0'])(
    'refuses %s',
    (id) => {
      expect(runIdParamsSchema.safeParse({ id }).success).toBe(false);
    },
  );

  it.each(['0d7a1809-25b6-fda8-c16a-73dc88de40f7', 'DEDC6163-9D3E-48A0-992C-5002CC6045B1'])('accepts %s', (id) => {
    expect(runIdParamsSchema.safeParse({ id }).success).toBe(true);
  });
});
