package webapi

// table is every route the API serves. Each group of routes lives beside
// its handlers; the OpenAPI document (openapi.go) is made from this table,
// so a route cannot be served undocumented.
func (s *Server) table() []route {
	var all []route
	for _, group := range [][]route{
		s.healthRoutes(),
		s.metricsRoutes(),
		s.openAPIRoutes(),
		s.propertyRoutes(),
		s.ticketRoutes(),
		s.teamRoutes(),
		s.catalogRoutes(),
		s.contactRoutes(),
		s.heldRoutes(),
		s.webhookRoutes(),
		s.eventRoutes(),
	} {
		all = append(all, group...)
	}
	return all
}
