package controls

// TODO: not built yet.
var postgresChecks = []*Check{}
