import t from 'tap'
import type { TreeNode } from '../../src/declarative/error-tree.js'
import { penlightWrite, quoteString, schemaViolationMessage } from '../../src/declarative/schema-violation.js'

t.test("strings quoted as Penlight's quote_string quotes them", async (t) => {
  const cases: [string, string, string][] = [
    ['plain', 'required field missing', '"required field missing"'],
    ['single quotes stay', "in 'a'", `"in 'a'"`],
    ['double quote and backslash escaped', 'a "b" \\c', '"a \\"b\\" \\\\c"'],
    ['newline: long bracket', 'a\nb', '[[a\nb]]'],
    ['leading newline kept', '\nb', '[[\n\nb]]'],
    ['brackets inside: one level more', 'a[[b]]', '[=[a[[b]]]=]'],
    ['a trailing bracket counts: it would close the string', 'x]', '[=[x]]=]'],
    ['level above the highest inside', 'a]==]', '[===[a]==]]===]'],
    ['carriage return: escaped, never long', 'a\r\nb', '"a\\r\\\nb"'],
  ]
  for (const [desc, input, quoted] of cases) t.equal(quoteString(input), quoted, desc)
})

t.test("tables written as Penlight's pretty.write writes them, two spaces a level", async (t) => {
  const map = (entries: [string | number, TreeNode][]): TreeNode => new Map(entries)
  const cases: [string, TreeNode, string][] = [
    ['a list', ['x', 'y'], '{\n  "x",\n  "y"\n}'],
    ['a record, keys sorted', map([['b', '2'], ['a', '1']]), '{\n  a = "1",\n  b = "2"\n}'],
    ['nested', map([['r', map([['k', 'v']])]]), '{\n  r = {\n    k = "v"\n  }\n}'],
    ['array part bare, gaps as [n]', map([[0, 'a'], [2, 'c']]), '{\n  "a",\n  [3] = "c"\n}'],
    ['keys that are not identifiers', map([['@entity', 'e'], ['end', 'k'], ['a-b', 'x']]), '{\n  ["@entity"] = "e",\n  ["a-b"] = "x",\n  ["end"] = "k"\n}'],
  ]
  for (const [desc, node, text] of cases) t.equal(penlightWrite(node), text, desc)
})

t.test("Kong's message: @entity first, then fields by name, one level of keys joined by dots", async (t) => {
  const tree = new Map<string | number, TreeNode>([
    ['b', 'late'],
    ['a', new Map<string | number, TreeNode>([[1, 'second element'], ['x', new Map([['y', 'deep']])]])],
    ['@entity', ['whole', 'again']],
  ])
  t.equal(schemaViolationMessage(tree), '5 schema violations (whole; again; a.2: second element; a.x: {\n  y = "deep"\n}; b: late)')
  t.equal(schemaViolationMessage(new Map([['a', 'one']])), 'schema violation (a: one)')
})
