package sim

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// bindNoPort lets connect, not bind, choose the local port of a connection
// dialled from a given source address (IP_BIND_ADDRESS_NO_PORT). bind must
// find a port that no other socket of the address holds, a search through
// all of them: towards the end of a ramp-up to 19,000 terminals from one
// address it took 45 % of the machine's CPU (perf), and dials timed out.
// connect needs a port free only towards the gateway; it searches too, and
// that search grows with the ports in use, so scripts/loadtest also spreads
// the terminals over several source addresses.
func bindNoPort(_, _ string, c syscall.RawConn) error {
	var err error
	if cerr := c.Control(func(fd uintptr) {
		err = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_BIND_ADDRESS_NO_PORT, 1)
	}); cerr != nil {
		return cerr
	}
	return err
}
