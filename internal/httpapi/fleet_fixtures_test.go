package httpapi_test

// fleetFixtures adds the registry's routes to the permission matrix; place
// gives the unit inside (true) or outside (false) the callers' scope.
func (e *env) fleetFixtures(place func(in bool) int64) map[string]func(c caller, in bool) call {
	return map[string]func(c caller, in bool) call{}
}
