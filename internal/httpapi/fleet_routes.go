package httpapi

// fleetRoutes are the vehicle and driver registry's routes (issue: registry).
func (s *Server) fleetRoutes() []Route { return nil }
