package demo

// Clock sets the time the demo's orders are laid out around.
var Clock = &seedTime
