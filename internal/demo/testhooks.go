package demo

// Clock sets the time the demo's orders are laid out around (tests).
//
// It lives outside a _test.go file on purpose (issue 18): a package with
// internal test files is compiled again, with everything that imports it,
// for its test binary. Production code never sets it.
var Clock = &seedTime
