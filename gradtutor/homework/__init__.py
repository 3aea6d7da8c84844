"""Homework repositories graded in CI: `repository` writes one, `ci` holds its CI files, and
`wheel` makes the wheel of the running gradtutor that the repository carries for CI to install."""
