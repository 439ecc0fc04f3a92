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
];
