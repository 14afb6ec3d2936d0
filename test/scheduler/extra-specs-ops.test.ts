/** Nova's extra_specs_ops.match, case by case (nova/tests/unit/scheduler/filters/test_extra_specs_ops.py). */
import { describe, expect, it } from 'vitest'
import { matchExtraSpec, pyStr } from '../../src/scheduler/filters/extra-specs-ops.js'

const cases: [string, string, boolean][] = [
  ['1', '1', true],
  ['a', 'a', true],
  ['1', '2', false],
  ['123', '= 123', true],
  ['124', '= 123', true],
  ['122', '= 123', false],
  ['12311321', '<in> 11', true],
  ['12311321', '<in> 12311321', true],
  ['12310321', '<in> 11', false],
  ['12', '<all-in> 11', false],
  ['12311321', '<all-in> 11 13', true],
  ['12311321', '<all-in> 11 31', true],
  ['12311321', '<all-in> 11 41', false],
  ['123', '== 123', true],
  ['124', '== 123', false],
  ['123', '!= 123', false],
  ['124', '!= 123', true],
  ['124', '>= 123', true],
  ['122', '>= 123', false],
  ['122', '<= 123', true],
  ['124', '<= 123', false],
  ['123', 's== 123', true],
  ['1234', 's== 123', false],
  ['1234', 's!= 123', true],
  ['123', 's!= 123', false],
  ['1', 's< 12', true],
  ['2', 's< 12', false],
  ['12', 's<= 12', true],
  ['2', 's> 12', true],
  ['12', 's>= 12', true],
  ['12', '<or> 11 <or> 12', true],
  ['13', '<or> 11 <or> 12', false],
  ['12', '<or> 11 <or> 12 <or>', true],
  ['abc', '= 123', false],
]

describe('matchExtraSpec', () => {
  it.each(cases)('%s against "%s" → %s', (value, req, expected) => {
    expect(matchExtraSpec(value, req)).toBe(expected)
  })

  it('never matches a missing value against an operator', () => {
    expect(matchExtraSpec(undefined, '= 1')).toBe(false)
    expect(matchExtraSpec(null, '<or> a <or> b')).toBe(false)
  })

  it("compares with Python's str() of the capability", () => {
    expect(pyStr(true)).toBe('True')
    expect(pyStr(['a', 'b'])).toBe("['a', 'b']")
    expect(pyStr({ bits: 42 })).toBe("{'bits': 42}")
    expect(pyStr(null)).toBe('None')
  })
})
