"""The math input language: text in, gradtutor's own expression tree out, and back to text.

- `expr`: the tree (formulas exactly as written) and its printers, `to_ascii` (parses back) and
  `to_pretty` (unicode for people);
- `parser`: the tokenizer and recursive-descent parser, with the limits that keep hostile input
  harmless; it never evaluates anything;
- `reading`: what a formula was read as, the echo every command shows.

The bottom layer: it imports nothing of gradtutor but `errors`.
"""
