// Differences the generator found where OPA v1.22.4 itself is wrong, by their minimal reproducer.
// Each is checked by hand; the differential test reports them apart and fails on any other difference.

export const KNOWN_OPA_BUGS: { reason: string; module: string }[] = [
  {
    // Removing the unused `x16 := {false}` (or either comprehension) makes OPA return [null]; the body
    // is true, so `r2` contains null.
    reason: 'OPA drops the body of a rule with an unused local and a nested comprehension compared under `with`',
    module: `package fuzz.p2014

r2 contains null if {
  x16 := {false}
  -2.5 < [x18 | some x17, x18 in [x20 | some x19, x20 in input.nested.list]; split(input.arr, input.arr[0])] with input.n as 10
}
`,
  },
  {
    // floor and ceil of a number between -1 and 0: OPA gives floor(-0.5) = 0 and ceil(-0.5) = 1, while
    // floor(-1.5) = -2 as it should be.
    reason: 'OPA floors a negative number above -1 to 0 (and ceils it to 1)',
    module: `package fuzz.p7811

r0[0] := x0 if {
  x0 := floor((0.1234567890123456789 * -1))
}
`,
  },
];
