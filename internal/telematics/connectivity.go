package telematics

import "time"

// OfflineAfter is the one definition of 离线 (issue 23): a terminal that has
// reported and whose last valid report is older than this. The live map,
// terminal health (its offline events) and the statistics' online rate all
// use it; a terminal that never reported is 未上报, not offline.
const OfflineAfter = 30 * time.Minute

// Connectivity of a terminal, defined once.
const (
	Online  = "online"  // 在线: reported within OfflineAfter
	Offline = "offline" // 离线: reported, but not within OfflineAfter
	Never   = "never"   // 未上报: bound, never reported
)

// Connectivity says whether the terminal whose latest position is p (ok
// false: none) is online at now.
func Connectivity(p Position, ok bool, now time.Time) string {
	switch {
	case !ok:
		return Never
	case now.Sub(p.At) > OfflineAfter:
		return Offline
	}
	return Online
}
