//go:build !linux

package sim

import "syscall"

// bindNoPort: IP_BIND_ADDRESS_NO_PORT is Linux's (dial_linux.go).
var bindNoPort func(network, address string, c syscall.RawConn) error
